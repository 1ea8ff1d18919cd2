"""Helpers for the few hot reads written as plain SQL (README "Performance").

On the benchmark machine the ORM spends 0.35-0.75 ms building a statement that the database runs
in 0.02-0.04 ms. The pages learners load most (a lesson, the catalogue, a post-test attempt) read
their rows with plain SQL; the statements are the same on SQLite and PostgreSQL, and the suite runs
on both. Everything else uses the ORM.
"""

import json

from django.db import connection
from django.utils import timezone


def fetch_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def db_datetime(value):
    """A datetime as plain SQL returns it, made aware (SQLite hands back naive UTC values)."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, connection.timezone)


def db_json(value):
    """A JSON column as plain SQL returns it (text on both databases), decoded like JSONField does."""
    return None if value is None else json.loads(value)
