"""Reads for accounts: the logged-in user, through the cache."""

from django.contrib.auth import get_user_model
from django.core.cache import cache

USER_CACHE_SECONDS = 15 * 60


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
    """Drop the cached copies of these users: their row or their groups changed."""
    cache.delete_many([_user_key(user_id) for user_id in user_ids])


def group_names(user):
    """Names of the user's groups: from the cached copy when the user came through the backend."""
    names = getattr(user, "cached_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
    return names
