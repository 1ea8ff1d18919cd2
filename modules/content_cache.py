"""Course structure kept per worker process, as frozen plain data, for one content version.

Every learner page starts from its course, quiz and modules, and they change only when an author
saves. Reading them through the ORM costs two queries per page (README "Performance"); instead
each worker keeps what it has read as tuples of column values and checks one small cache entry,
the content version, per request. The version is replaced whenever a course, module or quiz is
saved or deleted (modules/signals.py, and content_forget for queryset updates), so an entry of an
old version is simply never asked for again.

What is kept is plain data (tuples of column values, JSON columns as their text), never a model
instance: each request builds its own instances from it (course_reads.py), so nothing a request
does to its objects reaches another request.
"""

import threading
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

CONTENT_VERSION_KEY = "modules:content-version"
# Entries of every version share one dict: (version, key) -> frozen value. Old versions are
# never read again; when the dict is full it is emptied, which bounds it without bookkeeping.
MAX_ENTRIES = 512

_entries = {}
_lock = threading.Lock()


def content_version():
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        # add(), not set(): when two workers miss at once, both go on with the one that was stored.
        cache.add(CONTENT_VERSION_KEY, uuid4().hex, None)
        version = cache.get(CONTENT_VERSION_KEY)
    return version


def held(version, key):
    """The frozen value kept for (version, key), or None."""
    return _entries.get((version, key))


def keep(version, key, value):
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[(version, key)] = value


def content_forget():
    """Course content changed: everything kept for the current version is stale from now on.

    The cache is a table in the same database, so inside a transaction the new version becomes
    visible together with the change it stands for, and is undone with it. It is replaced once
    more after the commit: a worker that read the old rows while the change was in flight, or
    whose cache.add() of a missing version won a race with this set(), kept them under a
    version that is then no longer current.
    """
    cache.set(CONTENT_VERSION_KEY, uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(CONTENT_VERSION_KEY, uuid4().hex, None))
