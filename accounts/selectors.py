"""Reads for accounts: the logged-in user, from plain values kept in Django's cache.

Every logged-in request needs its user and, for the header's "Reports" link, its group names:
through the ORM that is two queries, the most expensive part of a small page (README
"Performance"). The cache keeps the user's column values and group names as plain data (a dict
and a tuple, never a model instance) and every request builds a fresh User from them.

Two things make a copy stale, and each has one rule:
- the user row changes (saved, deleted): its entry is deleted (accounts/signals.py);
- any group or membership changes: the one "roles version" is replaced, and an entry built under
  another roles version is read again from the database.
"""

from uuid import uuid4

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

# Short, because it bounds the one race signals cannot close: a request that read the user row
# just before an admin's change committed, and writes its copy just after the deletions below.
USER_CACHE_SECONDS = 60
ROLES_VERSION_KEY = "accounts:roles-version"


def _user_key(user_id):
    # Not "accounts:user:<id>": entries under that name, left by earlier releases, hold pickled
    # User objects.
    return f"accounts:user-values:{user_id}"


def _field_names():
    return [field.attname for field in get_user_model()._meta.concrete_fields]


def user_for_session(user_id):
    """A fresh User with this id, with `cached_group_names` set, or None when there is no such user.

    One cache statement when the copy is there (the user's entry and the roles version are read
    together). Callers still check is_active (the backend does).
    """
    user_key = _user_key(user_id)
    found = cache.get_many([user_key, ROLES_VERSION_KEY])
    roles_version = found.get(ROLES_VERSION_KEY)
    entry = found.get(user_key)
    if entry is None or roles_version is None or entry["roles_version"] != roles_version:
        entry = _user_entry(user_id, roles_version or _new_roles_version())
        if entry is None:
            return None
        cache.set(user_key, entry, USER_CACHE_SECONDS)
    User = get_user_model()
    user = User.from_db(DEFAULT_DB_ALIAS, _field_names(), list(entry["values"]))
    user.cached_group_names = frozenset(entry["groups"])
    return user


def _user_entry(user_id, roles_version):
    User = get_user_model()
    values = User._default_manager.filter(pk=user_id).values_list(*_field_names()).first()
    if values is None:
        return None
    groups = User.groups.through.objects.filter(user_id=user_id).values_list("group__name", flat=True)
    return {"values": tuple(values), "groups": tuple(groups), "roles_version": roles_version}


def _new_roles_version():
    # add(), not set(): when two workers miss at once, both go on with the one that was stored.
    cache.add(ROLES_VERSION_KEY, uuid4().hex, None)
    return cache.get(ROLES_VERSION_KEY)


def user_forget(user_id):
    """Drop the cached copy of this user: their row changed.

    Now (in the same transaction as the change, the cache being a table of the same database) and
    again after the commit, for a copy another worker wrote from the old row meanwhile.
    """
    key = _user_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def roles_forget():
    """A group or a membership changed: every cached copy's group names are stale from now on.

    Replaced now and again after the commit, as user_forget does, for a copy built from the old
    memberships while the change was in flight.
    """
    cache.set(ROLES_VERSION_KEY, uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(ROLES_VERSION_KEY, uuid4().hex, None))


def group_names(user):
    """Names of the user's groups: from the cached entry when the user came through the backend
    (every request's user does), else read from the database."""
    names = getattr(user, "cached_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
    return names
