"""Helpers for the few hot reads written as plain SQL (README "Performance").

On the benchmark machine the ORM spends 0.35-0.75 ms building a statement that the database runs
in 0.02-0.04 ms. The pages learners load most (a lesson, the catalogue, a post-test attempt) read
their rows with plain SQL; the statements are the same on SQLite and PostgreSQL, and the suite runs
on both. Everything else uses the ORM.
"""

import json
from decimal import Decimal
from functools import cache

from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.dispatch import receiver


def fetch_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def db_datetime(value):
    """A datetime as plain SQL returns it, made aware (SQLite hands back naive UTC values)."""
    if value is None or value.tzinfo is not None:
        return value
    # What timezone.make_aware does for a zoneinfo zone, without its checks and the connection
    # lookup on every value: a lesson page converts about twenty of these.
    return value.replace(tzinfo=_database_timezone())


@cache
def _database_timezone():
    # The zone the database stores naive datetimes in: fixed by settings (reset below when a test
    # overrides them, as Django resets the connection's own).
    return connections[DEFAULT_DB_ALIAS].timezone


@receiver(setting_changed)
def _forget_database_timezone(*, setting, **kwargs):
    if setting in {"TIME_ZONE", "USE_TZ", "DATABASES"}:
        _database_timezone.cache_clear()


def db_json(value):
    """A JSON column as plain SQL returns it (text on both databases), decoded like JSONField does."""
    return None if value is None else json.loads(value)


def db_decimal(value, places=2):
    """A decimal column as plain SQL returns it, as the Decimal the ORM would give.

    PostgreSQL returns a Decimal; SQLite stores the column with numeric affinity and returns an int
    or a float, whose shortest repr is exact for the few digits our columns hold (at most 8).
    """
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def instance(model, **values):
    """A model instance from plain-SQL values, built as the ORM builds one (`Model.from_db`).

    Keyword arguments by attname (`user_id`, not `user`); fields not given are deferred and loaded
    on first access. from_db wants the values in the model's field order: this puts them there.
    The rows come from fetch_rows, that is from the default database.
    """
    names = _names_in_field_order(model, tuple(values))
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


@cache
def _names_in_field_order(model, given):
    # Each call site passes the same names in the same order: worked out once per call site.
    names = tuple(field.attname for field in model._meta.concrete_fields if field.attname in given)
    if len(names) != len(given):
        raise TypeError(f"{model.__name__} has no field(s) {sorted(set(given) - set(names))}")
    return names
