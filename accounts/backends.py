"""The authentication backend: Django's ModelBackend, building the logged-in user from cached values.

Every logged-in request needs its user; through the ORM that and the group names for the role
checks are two queries on every page (README "Performance"). `user_for_session` reads both from
one cache entry of plain values and builds a fresh User per request (accounts/selectors.py says
how the entry stays right).
"""

from django.contrib.auth.backends import ModelBackend

from accounts.selectors import user_for_session


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id):
        user = user_for_session(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
