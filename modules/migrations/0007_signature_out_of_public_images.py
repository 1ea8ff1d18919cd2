"""Move the nurse planner's signature images out of the public images folder.

The files were stored in images/, which anyone may fetch. Every stored signature file (the
provider's current one and any earlier one a certificate printed) moves to signatures/, and the
provider and certificate rows naming them follow, so re-rendered certificates still print them.
"""

from django.core.files.storage import storages
from django.db import migrations

PREFIX = "provider-nurse-planner-signature-"


def move_signatures(apps, source, target):
    storage = storages["default"]
    try:
        _folders, files = storage.listdir(source)
    except FileNotFoundError:  # no image was ever stored
        files = []
    for name in files:
        if not name.startswith(PREFIX):
            continue
        old, new = f"{source}/{name}", f"{target}/{name}"
        if not storage.exists(new):
            with storage.open(old, "rb") as stored:
                saved = storage.save(new, stored)
            if saved != new:
                raise RuntimeError(f"The storage saved {new} as {saved}.")
        storage.delete(old)
    Provider = apps.get_model("modules", "Provider")
    Certificate = apps.get_model("certificates", "Certificate")
    for provider in Provider.objects.filter(nurse_planner_signature__startswith=f"{source}/{PREFIX}"):
        provider.nurse_planner_signature = provider.nurse_planner_signature.name.replace(source, target, 1)
        provider.save(update_fields=["nurse_planner_signature"])
    for certificate in Certificate.objects.filter(nurse_planner_signature_file__startswith=f"{source}/{PREFIX}"):
        certificate.nurse_planner_signature_file = certificate.nurse_planner_signature_file.replace(
            source, target, 1
        )
        certificate.save(update_fields=["nurse_planner_signature_file"])


def forwards(apps, schema_editor):
    move_signatures(apps, "images", "signatures")


def backwards(apps, schema_editor):
    move_signatures(apps, "signatures", "images")


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0006_ineligible_company_triggers"),
        ("certificates", "0005_provider_printed_fields"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
