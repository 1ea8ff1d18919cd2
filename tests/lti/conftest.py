import pytest

from tests.certificates.conftest import post_test  # noqa: F401  (the post-test fixture)
from tests.lti.platform import TestPlatform


@pytest.fixture
def tool_keys(settings, tmp_path):
    from lti import keys

    settings.LTI_KEY_DIR = str(tmp_path / "lti-keys")
    keys.create_key()
    return keys


@pytest.fixture
def lms(httpserver, tool_keys, db):
    platform = TestPlatform(httpserver)
    platform.registration = platform.register()
    return platform
