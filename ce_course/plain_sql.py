"""Helpers for the few hot reads written as plain SQL (README "Performance").

Plain SQL is kept only where a side-by-side measurement showed the page at least 10% faster than
the best ORM form (bench/ab_plain_sql.py): the ORM spends a few hundred microseconds building
each statement that the database then runs in a few tens. The statements name tables and
columns through each model's `_meta` (`table`, `columns`), select every column a row needs, and
rows are built as the ORM builds them (`build`): each value through Django's own converters for
its field and backend, then `Model.from_db`. So a row is a complete model instance (only the
fields a caller leaves out on purpose, like a certificate's PDF bytes, are deferred, as with
`defer()`), and a renamed table or column needs no change here.
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


def table(model):
    """The model's table name, quoted for the default database."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name):
    """The column of the model's field `name`, quoted."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def columns(model, alias, *, exclude=()):
    """`alias."column", ...` for the model's concrete fields in field order (`exclude`: attnames left out)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model, tuple(exclude)))


def width(model, *, exclude=()):
    """How many columns `columns(model, ...)` selects: where the next model's columns start in a row."""
    return len(_fields(model, tuple(exclude)))


def build(model, values, *, exclude=()):
    """A model instance from the values `columns(model, ..., exclude=...)` selected.

    Each value goes through the converters the ORM would apply (the backend's, e.g. SQLite's
    naive datetimes made aware, and the field's own, e.g. JSON decoding), then Model.from_db.
    """
    exclude = tuple(exclude)
    values = list(values)
    for position, converters, col in _converters(model, exclude):
        value = values[position]
        for converter in converters:
            value = converter(value, col, connection)
        values[position] = value
    return model.from_db(DEFAULT_DB_ALIAS, _attnames(model, exclude), values)


@cache
def _fields(model, exclude):
    return tuple(field for field in model._meta.concrete_fields if field.attname not in exclude)


@cache
def _attnames(model, exclude):
    return [field.attname for field in _fields(model, exclude)]


@cache
def _converters(model, exclude):
    """(position, converters, column) of each field that has converters, as the ORM's compiler
    collects them once per query; collected once per model here."""
    result = []
    for position, field in enumerate(_fields(model, exclude)):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            result.append((position, converters, col))
    return tuple(result)


@receiver(setting_changed)
def _forget_database_settings(*, setting, **kwargs):
    # The converters depend on the database and its time zone; tests may override either.
    if setting in {"TIME_ZONE", "USE_TZ", "DATABASES"}:
        _converters.cache_clear()
        _database_timezone.cache_clear()


# --- Used by quizzes/selectors.py's attempt read until that read moves to the helpers above. -------


def db_datetime(value):
    """A datetime as plain SQL returns it, made aware (SQLite hands back naive UTC values)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=_database_timezone())


@cache
def _database_timezone():
    return connections[DEFAULT_DB_ALIAS].timezone


def db_json(value):
    """A JSON column as plain SQL returns it (text on both databases), decoded like JSONField does."""
    return None if value is None else json.loads(value)


def db_decimal(value, places=2):
    """A decimal column as plain SQL returns it, as the Decimal the ORM would give."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def instance(model, **values):
    """A model instance from plain-SQL values by attname; fields not given are deferred."""
    names = _names_in_field_order(model, tuple(values))
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


@cache
def _names_in_field_order(model, given):
    names = tuple(field.attname for field in model._meta.concrete_fields if field.attname in given)
    if len(names) != len(given):
        raise TypeError(f"{model.__name__} has no field(s) {sorted(set(given) - set(names))}")
    return names
