"""Migration modules 0004: the provider details copied into each course become Provider records."""

from datetime import date
from decimal import Decimal

import pytest

EXAMPLE = {
    "provider_name": "Example Nursing CE Provider",
    "provider_address": "123 Example Street",
    "provider_web_address": "https://ce-provider.example.org",
    "provider_approval_number": "50-00000",
    "accreditation_statement": "Example Nursing CE Provider is accredited (example).",
}
REAL = {
    "provider_name": "Gulf Coast Nursing Education",
    "provider_address": "1 Bay Street, Tampa, FL",
    "provider_web_address": "https://gcne.test",
    "provider_approval_number": "50-12345",
    "accreditation_statement": "Gulf Coast Nursing Education is accredited by ANCC.",
}


def old_course(Course, slug, provider, commercial_support):
    return Course.objects.create(
        slug=slug,
        title=slug,
        summary="s",
        learning_outcome="o",
        completion_criteria="c",
        disclosure_relationships="none",
        commercial_support=commercial_support,
        contact_hours=Decimal("1.00"),
        contact_hours_calculation="60 minutes",
        release_date=date(2026, 1, 1),
        expiry_date=date(2027, 1, 1),
        **provider,
    )


@pytest.mark.django_db(transaction=True)
def test_each_distinct_set_of_provider_details_becomes_one_provider(migrator):
    old = migrator.apply_initial_migration(("modules", "0003_provider"))
    Course = old.apps.get_model("modules", "Course")
    old_course(Course, "one", EXAMPLE, "This activity received no commercial support.")
    old_course(Course, "two", EXAMPLE, "This activity received no commercial support.")
    old_course(Course, "three", REAL, "An unrestricted grant from Acme Pharma.")

    new = migrator.apply_tested_migration(("modules", "0005_provider_required"))
    Course = new.apps.get_model("modules", "Course")
    Provider = new.apps.get_model("modules", "Provider")

    assert Provider.objects.count() == 2
    one, two, three = (Course.objects.get(slug=s) for s in ("one", "two", "three"))
    assert one.provider_id == two.provider_id != three.provider_id
    example, real = Provider.objects.get(pk=one.provider_id), Provider.objects.get(pk=three.provider_id)
    assert (example.legal_name, example.address, example.web_address) == (
        "Example Nursing CE Provider",
        "123 Example Street",
        "https://ce-provider.example.org",
    )
    assert (real.approval_number, real.accreditation_statement) == (
        "50-12345",
        "Gulf Coast Nursing Education is accredited by ANCC.",
    )
    assert example.is_example and not real.is_example
    # The old free text stays visible to admins, unless it was the standard sentence the records now generate.
    assert three.commercial_support_note == "An unrestricted grant from Acme Pharma."
    assert one.commercial_support_note == ""
    migrator.reset()
