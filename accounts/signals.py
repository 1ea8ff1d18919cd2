"""Keep the cached logged-in user (accounts/selectors.py) in step with the database.

Signals rather than calls in each service, because users and their groups are also changed by
the admin, by Django's own password views and by `update_last_login`. The cache is a table in
the same database, so a change made inside a transaction is undone with it.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.selectors import roles_forget, user_forget

User = get_user_model()


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def user_changed(sender, instance, **kwargs):
    user_forget(instance.pk)


# Any change to a group or to who is in one, from either side (user.groups.add, group.user_set.clear,
# a group renamed or deleted): one version for all roles, so no case needs its own handling.
@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts.memberships_changed")
@receiver(post_save, sender=Group, dispatch_uid="accounts.group_saved")
@receiver(post_delete, sender=Group, dispatch_uid="accounts.group_deleted")
def roles_changed(sender, **kwargs):
    roles_forget()
