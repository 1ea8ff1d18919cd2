"""The board sees tracked and attested minutes per certificate, and a flag where the attested time
exceeds the tracked time by more than the documented margin (both sides of the margin)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.models import Attestation
from reports.filters import CompletionFilter
from reports.selectors import (
    ATTESTED_OVER_TRACKED_MARGIN_MINUTES as MARGIN,
)
from reports.selectors import (
    attested_time_flagged,
    completion_rows,
)
from tests.reports.test_exports import make_certificates, read_csv

pytestmark = pytest.mark.django_db


def test_the_margin_is_a_quarter_of_an_hour_and_only_beyond_it_flags():
    assert MARGIN == 15
    assert not attested_time_flagged(30 + MARGIN, 30)
    assert attested_time_flagged(30 + MARGIN + 1, 30)
    assert not attested_time_flagged(10, 30)  # attesting less is never flagged
    assert not attested_time_flagged(None, None)  # no attestation (a seeded or legacy row)


@pytest.fixture
def at_and_over_the_margin(course):
    """Two certificates tracked at 30 minutes: one attested at the margin, one a minute beyond it."""
    at, over = make_certificates(course, 2)
    for certificate, attested in ((at, 30 + MARGIN), (over, 31 + MARGIN)):
        Attestation.objects.create(
            enrollment=certificate.enrollment,
            minutes_attested=attested,
            minutes_tracked=30,
            attested_at=timezone.now(),
        )
    return at, over


def test_report_page_shows_tracked_and_attested_minutes_and_flags_beyond_the_margin(
    client, board, at_and_over_the_margin
):
    at, over = at_and_over_the_margin
    client.force_login(board)
    text = client.get(reverse("reports")).text
    rows = {serial: text.split(serial, 1)[0].rsplit("<tr>", 1)[1] for serial in (at.serial, over.serial)}
    assert f"30 / {30 + MARGIN}" in rows[at.serial] and "attested over tracked" not in rows[at.serial]
    assert f"30 / {31 + MARGIN}" in rows[over.serial]
    assert f"attested over tracked by {MARGIN + 1} min" in rows[over.serial]
    assert f"by more than {MARGIN} minutes" in text


def test_csv_gives_tracked_and_attested_minutes_and_the_flag(at_and_over_the_margin):
    at, over = at_and_over_the_margin
    header, *rows = read_csv(completion_rows(CompletionFilter()))
    columns = header.index("Minutes tracked at attestation"), header.index("Minutes attested")
    flag = header.index("Attested time over tracked")
    by_serial = {row[header.index("Certificate serial")]: row for row in rows}
    assert [by_serial[at.serial][i] for i in (*columns, flag)] == ["30", str(30 + MARGIN), "no"]
    assert [by_serial[over.serial][i] for i in (*columns, flag)] == ["30", str(31 + MARGIN), "yes"]


def test_report_page_query_count_stays_flat_with_attestations(
    client, board, course, django_assert_max_num_queries
):
    client.force_login(board)
    make_certificates(course, 1)
    client.get(reverse("reports"))  # the session and user reads of a first request
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("reports"))
    for certificate in make_certificates(course, 30):
        Attestation.objects.create(
            enrollment=certificate.enrollment,
            minutes_attested=90,
            minutes_tracked=5,
            attested_at=timezone.now(),
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        text = client.get(reverse("reports")).text
    assert text.count("attested over tracked by 85 min") == 30
