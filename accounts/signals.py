"""Keep the cached logged-in user (accounts/selectors.py) in step with the database.

Signals rather than calls in each service, because users and their groups are also changed by
the admin, by Django's own password views and by `update_last_login`. The cache is a table in
the same database, so a deletion made inside a transaction is undone with it.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from accounts.selectors import user_forget

User = get_user_model()


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def user_changed(sender, instance, **kwargs):
    user_forget(instance.pk)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts.user_groups_changed")
def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:  # user.groups.add(...): the instance is the user
        user_forget(instance.pk)
    elif pk_set:  # group.user_set.add(...): the users are in pk_set
        user_forget(*pk_set)
    else:  # group.user_set.clear(): the members, read before they are removed
        user_forget(*instance.user_set.values_list("pk", flat=True))


@receiver(post_save, sender=Group, dispatch_uid="accounts.group_saved")
@receiver(pre_delete, sender=Group, dispatch_uid="accounts.group_deleted")
def group_changed(sender, instance, **kwargs):
    """A renamed or deleted group changes its members' roles (a delete sends no m2m signal)."""
    if instance.pk is not None:
        user_forget(*instance.user_set.values_list("pk", flat=True))
