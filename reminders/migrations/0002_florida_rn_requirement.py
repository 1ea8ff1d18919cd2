"""The shipped example requirement: Florida, registered nurse.

Source: Rule 64B9-5.002, Florida Administrative Code (Continuing Education Requirement), under
section 464.013(3), Florida Statutes (biennial renewal, continuing education set by board rule):
24 contact hours of continuing education in each two-year renewal period (biennium). The topic
hours inside the 24 (medical errors, laws and rules, human trafficking, impairment in the workplace,
domestic violence every third renewal) are noted but not checked.
"""

from decimal import Decimal

from django.db import migrations

FLORIDA_RN = {
    "state": "FL",
    "profession": "RN",
    "hours": Decimal("24.00"),
    "period_months": 24,
    "source_citation": (
        "Florida Board of Nursing: Rule 64B9-5.002, Florida Administrative Code, under s. 464.013(3), "
        "Florida Statutes: 24 contact hours each biennium"
    ),
    "source_url": "https://www.flrules.org/gateway/ChapterHome.asp?Chapter=64B9-5",
    "notes": (
        "Within the 24 hours the Board requires topic courses: 2 h prevention of medical errors, 2 h laws "
        "and rules of nursing, 2 h human trafficking, 2 h recognizing impairment in the workplace (every "
        "other biennium), and 2 h domestic violence every third renewal (in addition). Nurses certified "
        "by an accredited specialty program may be exempt. These are not checked by the reminder."
    ),
}


def add_florida_rn(apps, schema_editor):
    StateRequirement = apps.get_model("reminders", "StateRequirement")
    StateRequirement.objects.get_or_create(
        state=FLORIDA_RN["state"], profession=FLORIDA_RN["profession"], defaults=FLORIDA_RN
    )


def remove_florida_rn(apps, schema_editor):
    StateRequirement = apps.get_model("reminders", "StateRequirement")
    StateRequirement.objects.filter(state="FL", profession="RN").delete()


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [migrations.RunPython(add_florida_rn, remove_florida_rn)]
