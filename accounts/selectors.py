"""Reads for accounts: the logged-in user, through the cache."""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

# Short, because it bounds the one race signals cannot close: a request that read the user row
# just before an admin's change committed, and writes its copy just after the deletions below.
USER_CACHE_SECONDS = 60


def _user_key(user_id):
    return f"accounts:user:{user_id}"


def user_for_session(user_id):
    """The user with this id, with `cached_group_names` set, from the cache when it is there.

    None when there is no such user. Callers still check is_active (the backend does).
    """
    key = _user_key(user_id)
    user = cache.get(key)
    if user is None:
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        if user is None:
            return None
        user.cached_group_names = frozenset(user.groups.values_list("name", flat=True))
        cache.set(key, user, USER_CACHE_SECONDS)
    return user


def user_forget(*user_ids):
    """Drop the cached copies of these users: their row or their groups changed.

    Now (in the same transaction as the change, the cache being a table of the same database) and
    again after the commit, for a copy another worker wrote from the old row meanwhile.
    """
    keys = [_user_key(user_id) for user_id in user_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def group_names(user):
    """Names of the user's groups: from the cached copy when the user came through the backend."""
    names = getattr(user, "cached_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
    return names
