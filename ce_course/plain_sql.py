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

from functools import cache

from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connection
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
