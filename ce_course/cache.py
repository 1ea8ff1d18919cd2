"""The cache backend: Django's DatabaseCache with a shorter path for reading one key."""

import base64
import functools
import pickle
from datetime import UTC, datetime

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router


class DatabaseCache(DjangoDatabaseCache):
    """Django's DatabaseCache; get() of one key runs one prepared statement and decodes the row.

    Every logged-in page reads three or four keys (session, user, content version, an attempt's
    inputs). Django's get() goes through get_many(), which builds its SQL and looks up converters
    on every call: 80 µs per read on the benchmark machine, against 36-40 µs for the same statement
    (its text built once per database) and decoding here (README "Performance"). Writes, deletes,
    culling and get_many are Django's. Needs USE_TZ (the project's setting).
    """

    def get(self, key, default=None, version=None):
        # make_key, not make_and_validate_key: validation only warns about keys memcached would
        # refuse, checking character by character, and set() still warns for every key written.
        key = self.make_key(key, version=version)
        connection = connections[router.db_for_read(self.cache_model_class)]
        with connection.cursor() as cursor:
            cursor.execute(_get_sql(connection.alias, self._table), [key])
            row = cursor.fetchone()
        if row is None:
            return default
        value, expires = row
        if expires.tzinfo is None:  # SQLite keeps naive datetimes in the connection's zone
            expires = expires.replace(tzinfo=connection.timezone)
        if expires < datetime.now(UTC):
            self._base_delete_many([key])  # as Django's get_many does with an expired entry
            return default
        return pickle.loads(base64.b64decode(connection.ops.process_clob(value).encode()))  # noqa: S301 - our own entries


@functools.cache
def _get_sql(alias, table):
    # Built once per database and table: quoting the name and formatting the string cost a few µs.
    return f"SELECT value, expires FROM {connections[alias].ops.quote_name(table)} WHERE cache_key = %s"  # noqa: S608 - our table name
