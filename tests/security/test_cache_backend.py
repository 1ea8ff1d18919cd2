"""ce_course.cache.DatabaseCache: the short get() answers exactly as Django's get_many() would."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_values_round_trip_and_match_get_many():
    value = {"learner": "Zoë Ngũgĩ-O'Brien", "minutes": 52, "nested": [1, (2, 3)]}
    cache.set("roundtrip", value, 60)
    assert cache.get("roundtrip") == value == cache.get_many(["roundtrip"])["roundtrip"]


def test_a_missing_key_gives_the_default():
    assert cache.get("never-set") is None
    assert cache.get("never-set", "fallback") == "fallback"


def test_versions_are_separate_keys():
    cache.set("versioned", "one", version=1)
    cache.set("versioned", "two", version=2)
    assert cache.get("versioned", version=1) == "one" and cache.get("versioned", version=2) == "two"


def test_an_entry_without_timeout_never_expires():
    cache.set("forever", "kept", None)
    assert cache.get("forever") == "kept"


def test_an_expired_entry_is_not_returned_and_is_removed():
    cache.set("stale", "old", 60)
    with connection.cursor() as cursor:
        past = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(minutes=1))
        cursor.execute("UPDATE ce_course_cache SET expires = %s", [past])
    assert cache.get("stale", "gone") == "gone"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ce_course_cache")
        assert cursor.fetchone()[0] == 0
