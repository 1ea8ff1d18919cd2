"""Personas shared by every test: learner (alice), other_learner (bob), author, board reviewer, admin."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.roles import AUTHORS, CE_BOARD
from tests.factories import LicenseFactory, UserFactory, course_with_modules

PASSWORD = "correct-horse-battery"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts):
    """A file in ../shared/conformance. Skips when ../shared is absent, except in CI where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must have ../shared beside the clone.")
        pytest.skip(f"{path} is absent (the conformance data lives in ../shared)")
    return path


@pytest.fixture
def learner(db):
    user = UserFactory(
        email="alice@example.com", first_name="Alice", last_name="Nguyen", credentials="RN, BSN"
    )
    LicenseFactory(user=user, state="FL", number="RN1234567")
    return user


@pytest.fixture
def other_learner(db):
    return UserFactory(email="bob@example.com", first_name="Bob", last_name="Okafor")


@pytest.fixture
def author(db):
    user = UserFactory(email="author@example.com", first_name="Andrea", last_name="Author", is_staff=True)
    user.groups.add(Group.objects.get(name=AUTHORS))
    return user


@pytest.fixture
def board(db):
    user = UserFactory(email="board@example.com", first_name="Bernard", last_name="Board")
    user.groups.add(Group.objects.get(name=CE_BOARD))
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def course(db):
    return course_with_modules(3, slug="hamstring", title="Hamstring course")


def login(client, user):
    client.force_login(user)
    return client


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def empty_cache(request):
    """Each test that uses the database starts with an empty cache: it is a table that flush
    (transactional tests) leaves alone, and ids repeat from test to test, so entries from an
    earlier test could look current."""
    if request.node.get_closest_marker("django_db") or DATABASE_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run inside the call that enqueues them; tests/tasks/ switch to the database backend
    (and a real worker) where the queue itself is what they prove."""
    settings.TASKS = IMMEDIATE_TASKS


def pytest_collection_modifyitems(config, items):
    """`postgres_only` tests need real row locks and concurrent writers.

    SQLite's shared in-memory test database answers a second writer with "table is locked"
    instead of waiting, so these run in the PostgreSQL pass of `make test`, and skip (saying so)
    in the SQLite pass.
    """
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of make test)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def signing_key_directory(tmp_path_factory):
    """One signing key for the whole session (an RSA key takes a while to make), in a directory of
    its own that the settings and subprocesses (through the environment) read. It is not marked
    as a development key, so `check --deploy` in a production-like subprocess stays clean."""
    from django.conf import settings

    from certificates import signing_keys

    directory = tmp_path_factory.mktemp("signing-keys")
    previous_setting, previous_env = settings.CE_SIGNING_KEY_DIR, os.environ.get("CE_SIGNING_KEY_DIR")
    settings.CE_SIGNING_KEY_DIR = str(directory)
    os.environ["CE_SIGNING_KEY_DIR"] = str(directory)
    signing_keys.create_signing_key(common_name="CE Course test signing key", development=False)
    yield directory
    settings.CE_SIGNING_KEY_DIR = previous_setting
    if previous_env is None:
        os.environ.pop("CE_SIGNING_KEY_DIR", None)
    else:
        os.environ["CE_SIGNING_KEY_DIR"] = previous_env
