"""Writes for accounts: sign-up and licenses."""

from django.db import transaction

from accounts.models import License


@transaction.atomic
def license_save(*, user, form):
    """Save a validated LicenseForm for `user`, keeping exactly one primary license.

    The first license a nurse records becomes primary; marking another primary demotes the old one.
    """
    license_ = form.save(commit=False)
    license_.user = user
    others = License.objects.select_for_update().filter(user=user).exclude(pk=license_.pk)
    if not others.exists():
        license_.is_primary = True
    if license_.is_primary:
        others.filter(is_primary=True).update(is_primary=False)
    license_.save()
    if not license_.is_primary and not others.filter(is_primary=True).exists():
        # The nurse unticked "primary" on her only primary license: another must take its place.
        license_.is_primary = True
        license_.save(update_fields=["is_primary"])
    return license_


@transaction.atomic
def license_delete(*, license_):
    user = license_.user
    was_primary = license_.is_primary
    license_.delete()
    if was_primary:
        successor = License.objects.filter(user=user).order_by("created_at").first()
        if successor:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
