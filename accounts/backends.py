"""The authentication backend: Django's ModelBackend, reading the logged-in user through the cache.

Every logged-in request needs its user; through the ORM that is the most expensive statement of
a small page (README "Performance"). The cached copy carries the user's group names, so the role
checks in accounts/roles.py need no query either. It is dropped whenever the user row or the
user's groups change (accounts/signals.py), so a deactivated user, a new password or a removed
role takes effect on the next request, in every worker.
"""

from django.contrib.auth.backends import ModelBackend

from accounts.selectors import user_for_session


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id):
        user = user_for_session(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
