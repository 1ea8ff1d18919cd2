"""The cache is Django's own DatabaseCache on the table migrate creates; it holds plain data only."""

import pickle

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from ce_course.settings import CACHES

pytestmark = pytest.mark.django_db


def test_the_settings_name_djangos_stock_database_cache_and_cached_db_sessions():
    # The settings module's own values, not whatever a test run overrode.
    assert CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHES["default"]["BACKEND"] == CACHES["default"]["BACKEND"]
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_migrate_creates_the_cache_table():
    assert CACHES["default"]["LOCATION"] in connection.introspection.table_names()
    cache.set("roundtrip", {"learner": "Zoë Ngũgĩ-O'Brien", "minutes": 52}, 60)
    assert cache.get("roundtrip") == {"learner": "Zoë Ngũgĩ-O'Brien", "minutes": 52}


def _stored_values():
    """Every value in the cache table, unpickled (Django's DatabaseCache stores base64 pickles)."""
    import base64

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {connection.ops.quote_name(CACHES['default']['LOCATION'])}")  # noqa: S608
        return [pickle.loads(base64.b64decode(value)) for (value,) in cursor.fetchall()]  # noqa: S301


PLAIN = (str, int, float, bool, bytes, type(None), tuple, list, dict, frozenset, set)


def _is_plain(value):
    import datetime
    import decimal

    if isinstance(value, (dict,)):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_is_plain(item) for item in value)
    return isinstance(value, (*PLAIN, datetime.date, datetime.datetime, decimal.Decimal))


def test_after_a_learners_visit_the_cache_holds_no_model_instance(client, learner, course):
    from django.urls import reverse

    from tests.factories import EnrollmentFactory

    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    for url in (
        reverse("catalogue"),
        reverse("dashboard"),
        reverse("module_detail", args=[course.slug, "m1"]),
    ):
        assert client.get(url).status_code == 200
    values = _stored_values()
    assert len(values) >= 3  # the session, the user's entry, the content and roles versions
    assert all(_is_plain(value) for value in values), values
