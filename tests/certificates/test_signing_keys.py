"""The provider's signing keys: a directory of PEM pairs, rotation without restart, clear errors."""

import re
import runpy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from certificates import signing_keys
from certificates.checks import signing_key_is_for_production

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "ce_course" / "settings.py"


@pytest.fixture
def key_dir(settings, tmp_path):
    settings.CE_SIGNING_KEY_DIR = str(tmp_path / "keys")
    return tmp_path / "keys"


def test_the_session_key_is_rsa_2048_named_by_time_and_public_key_hash():
    key = signing_keys.current_key()
    assert isinstance(key.private_key, RSAPrivateKey) and key.private_key.key_size == 2048
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}Z-[0-9a-f]{6}", key.kid)
    assert key.kid.endswith(signing_keys.public_key_hash(key.certificate.public_key()))
    assert key.retired_at is None and key.not_before.tzinfo is not None
    assert signing_keys.key_by_kid(key.kid) == key


def test_no_key_raises_a_clear_improperly_configured(key_dir):
    with pytest.raises(ImproperlyConfigured, match=r"No signing key in .*create_signing_key"):
        signing_keys.current_key()
    assert signing_keys.published_keys() == []
    assert signing_keys.key_by_kid("2026-01-01T000000Z-abcdef") is None


def test_rotation_makes_the_new_key_current_and_retires_the_old_from_that_moment(key_dir):
    old = signing_keys.create_signing_key(
        common_name="Old", development=False, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert signing_keys.current_key().kid == old.kid
    # A rotation while the process runs: the next call sees the new files, no restart.
    new = signing_keys.create_signing_key(
        common_name="New", development=False, now=datetime(2026, 6, 1, tzinfo=UTC)
    )
    published = signing_keys.published_keys()
    assert [key.kid for key in published] == [new.kid, old.kid]
    assert published[0].retired_at is None
    assert published[1].retired_at == datetime(2026, 6, 1, tzinfo=UTC) == published[0].not_before
    assert signing_keys.current_key().kid == new.kid
    assert signing_keys.key_by_kid(old.kid).certificate == old.certificate


def test_two_rotations_in_one_second_still_make_the_second_key_current(key_dir):
    moment = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    signing_keys.create_signing_key(common_name="A", development=False, now=moment)
    second = signing_keys.create_signing_key(common_name="B", development=False, now=moment)
    assert signing_keys.current_key().kid == second.kid
    assert second.not_before > moment


def test_private_key_file_is_encrypted_with_the_password_and_unreadable_with_a_wrong_one(settings, key_dir):
    settings.CE_SIGNING_KEY_PASSWORD = "a long operator passphrase"
    key = signing_keys.create_signing_key(common_name="Encrypted", development=False)
    key_file = key_dir / f"{key.kid}{signing_keys.KEY_SUFFIX}"
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    assert key_file.stat().st_mode & 0o077 == 0
    assert signing_keys.current_key().kid == key.kid
    settings.CE_SIGNING_KEY_PASSWORD = "wrong"
    signing_keys._cache["listing"] = None  # as a new process would
    with pytest.raises(ImproperlyConfigured, match="CE_SIGNING_KEY_PASSWORD"):
        signing_keys.current_key()


def test_a_certificate_of_another_key_is_refused(key_dir):
    first = signing_keys.create_signing_key(common_name="One", development=False)
    other = signing_keys.create_signing_key(common_name="Two", development=False)
    (key_dir / f"{first.kid}{signing_keys.CERT_SUFFIX}").write_bytes(other.certificate_pem)
    with pytest.raises(ImproperlyConfigured, match="is not for the key"):
        signing_keys.published_keys()


def test_create_signing_key_command_if_missing_makes_one_development_key_once(key_dir):
    call_command("create_signing_key", "--development", "--if-missing")
    call_command("create_signing_key", "--development", "--if-missing")
    keys = signing_keys.published_keys()
    assert len(keys) == 1
    assert keys[0].is_development
    assert "DEVELOPMENT signing key - not for production" in keys[0].subject


def test_deploy_check_warns_about_a_development_key_and_not_about_a_production_one(key_dir):
    assert [w.id for w in signing_key_is_for_production(None)] == ["certificates.W001"]
    signing_keys.create_signing_key(common_name="Dev", development=True)
    assert [w.id for w in signing_key_is_for_production(None)] == ["certificates.W002"]
    signing_keys.create_signing_key(common_name="Provider", development=False)
    assert signing_key_is_for_production(None) == []


def test_production_settings_require_a_signing_key_directory(monkeypatch):
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv(
        "SECRET_KEY", "a-real-production-secret-key-with-enough-entropy-0123456789-abcdefghijklmnop"
    )
    monkeypatch.delenv("CE_SIGNING_KEY_DIR", raising=False)
    with pytest.raises(RuntimeError, match="CE_SIGNING_KEY_DIR must be set"):
        runpy.run_path(str(SETTINGS_FILE))
