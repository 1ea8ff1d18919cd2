"""One Provider per distinct set of provider details the courses carried, and each course pointed at it.

The free-text commercial support is kept on the course (commercial_support_note) for admins to see
and record properly, unless it is the standard "no commercial support" sentence, which the records
now generate.
"""

from django.db import migrations

PROVIDER_COLUMNS = (
    "provider_name",
    "provider_address",
    "provider_web_address",
    "provider_approval_number",
    "accreditation_statement",
)
NO_SUPPORT = "This activity received no commercial support."


def looks_like_example(name, web_address):
    # The shipped course's provider is "Example Nursing CE Provider" at ce-provider.example.org.
    return "example" in name.lower() or web_address.rstrip("/").endswith((".example.org", ".example"))


def forwards(apps, schema_editor):
    Course = apps.get_model("modules", "Course")
    Provider = apps.get_model("modules", "Provider")
    providers = {}
    used_names = set(Provider.objects.values_list("legal_name", flat=True))
    for course in Course.objects.order_by("pk"):
        details = tuple(getattr(course, column) for column in PROVIDER_COLUMNS)
        if details not in providers:
            name, address, web_address, approval_number, statement = details
            # legal_name is unique: two courses giving one name with different details get
            # numbered providers for an admin to reconcile, rather than one silently winning.
            unique_name, n = name, 2
            while unique_name in used_names:
                unique_name, n = f"{name} ({n})", n + 1
            used_names.add(unique_name)
            providers[details] = Provider.objects.create(
                legal_name=unique_name,
                address=address,
                web_address=web_address,
                approval_number=approval_number,
                accreditation_statement=statement,
                is_example=looks_like_example(name, web_address),
            )
        course.provider = providers[details]
        note = course.commercial_support.strip()
        course.commercial_support_note = "" if note == NO_SUPPORT else note
        course.save(update_fields=["provider", "commercial_support_note"])


def backwards(apps, schema_editor):
    Course = apps.get_model("modules", "Course")
    for course in Course.objects.select_related("provider"):
        provider = course.provider
        course.provider_name = provider.legal_name
        course.provider_address = provider.address
        course.provider_web_address = provider.web_address
        course.provider_approval_number = provider.approval_number
        course.accreditation_statement = provider.accreditation_statement
        course.commercial_support = course.commercial_support_note or NO_SUPPORT
        course.save()


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0003_provider"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
