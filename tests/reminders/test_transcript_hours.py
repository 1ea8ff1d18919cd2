"""Her transcript shows the contact hours earned in each license's current renewal period."""

import io
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from reminders import rules
from tests.conftest import login
from tests.factories import course_with_modules
from tests.reminders.conftest import START, days, give_certificate


def far_course():
    return course_with_modules(1, release_date=date(2025, 1, 1), expiry_date=date(2029, 1, 1))


def test_renewal_period_is_the_months_before_the_renewal_date():
    assert rules.renewal_period(renewal_date=date(2027, 1, 31), period_months=24) == (
        date(2025, 2, 1),
        date(2027, 1, 31),
    )
    # The 31st of a shorter month: the period starts the day after that month's last day.
    assert rules.renewal_period(renewal_date=date(2026, 5, 31), period_months=3) == (
        date(2026, 3, 1),
        date(2026, 5, 31),
    )
    completions = [
        (date(2025, 1, 31), Decimal("5")),
        (date(2025, 2, 1), Decimal("1.5")),
        (date(2027, 1, 31), Decimal("2")),
    ]
    assert rules.hours_in_period(completions, start=date(2025, 2, 1), end=date(2027, 1, 31)) == Decimal("3.5")


def test_dashboard_and_transcript_pdf_show_hours_in_the_current_renewal_period(learner, client, clock):
    license_ = learner.licenses.get()
    license_.renewal_date = START + days(200)
    license_.save()
    give_certificate(learner, far_course(), hours="2.50", completed=START - days(30))
    give_certificate(learner, far_course(), hours="4.00", completed=START - days(10))
    give_certificate(
        learner, far_course(), hours="9.00", completed=START + days(200) - days(800)
    )  # before the period
    revoked = give_certificate(learner, far_course(), hours="3.00", completed=START - days(5))
    revoked.revoked_at, revoked.revoked_reason = revoked.issued_at, "Test"
    revoked.save()
    login(client, learner)
    page = client.get("/dashboard/").text
    assert 'id="renewal-hours"' in page
    assert "6.50 of 24.00 contact hours earned here since" in page
    assert "(17.50 to go)" in page
    assert "64B9-5.002" in page
    pdf = client.get("/dashboard/transcript.pdf")
    text = "".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
        ).pages
    )
    assert "This renewal period" in text and "6.50 of 24.00 contact hours" in text


def test_licenses_without_a_renewal_date_show_no_renewal_period(learner, client, clock):
    give_certificate(learner, far_course(), hours="2.50", completed=START - days(30))
    page = login(client, learner).get("/dashboard/").text
    assert 'id="renewal-hours"' not in page


def test_a_nurse_sets_her_license_renewal_date_on_the_license_form(learner, client):
    license_ = learner.licenses.get()
    login(client, learner)
    response = client.post(
        f"/accounts/profile/licenses/{license_.pk}/",
        {
            "profession": "RN",
            "state": "FL",
            "number": license_.number,
            "is_primary": "on",
            "renewal_date": "2027-01-31",
        },
    )
    assert response.status_code == 302
    license_.refresh_from_db()
    assert license_.renewal_date == date(2027, 1, 31)
