"""A re-issue never sends CE Broker a line it already has; a correction of what it was sent goes
again, marked as a correction."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import License
from certificates import services as certificate_services
from certificates.models import CertificateLicense
from modules.models import Course
from reports.exports import roster_workbook
from reports.filters import CompletionFilter
from reports.models import RosterEntry
from reports.selectors import completion_rows
from reports.services import (
    _same_for_ce_broker,
    batch_roster_lines,
    roster_lines,
    roster_mark_reported,
    unreported_line_count,
)
from tests.reports.test_exports import read_csv

pytestmark = pytest.mark.django_db

ALL = CompletionFilter()


def reissue(certificate, board, reason="Legal name changed"):
    return certificate_services.certificate_reissue(certificate=certificate, reason=reason, by=board)


def roster_note(certificate):
    header, *rows = read_csv(completion_rows(CompletionFilter(status="all")))
    serial = header.index("Certificate serial")
    return next(row for row in rows if row[serial] == certificate.serial)[header.index("CE Broker roster")]


def test_a_reissue_after_reporting_puts_nothing_back_in_the_roster(certificate, passed_learner, board):
    batch = roster_mark_reported(f=ALL, by=board)
    passed_learner.last_name = "Nguyen-Smith"
    passed_learner.save()

    new = reissue(certificate, board)

    assert roster_lines(ALL) == [] and unreported_line_count(ALL) == 0
    entry = RosterEntry.objects.get(license__certificate=new)
    assert entry.batch == batch and entry.carried_from.license.certificate_id == certificate.pk
    # The batch's file, downloaded again, is what was sent: the original line alone.
    assert [line.serial for line in batch_roster_lines(batch)] == [certificate.serial]
    assert (
        roster_note(new)
        == f"roster {batch.pk}: reported with {certificate.serial}, which this certificate replaces"
    )


def test_a_corrected_license_number_is_sent_again_as_a_correction(client, certificate, passed_learner, board):
    batch = roster_mark_reported(f=ALL, by=board)
    License.objects.filter(user=passed_learner).update(number="RN1234576")  # the typo fixed

    new = reissue(certificate, board, reason="License number corrected")

    (line,) = roster_lines(ALL)
    assert line.license_number == "RN1234576" and line.serial == new.serial
    assert (
        line.is_correction
        and line.corrects_batch_id == batch.pk
        and line.corrects_serial == certificate.serial
    )
    assert roster_note(new) == f"not yet sent: a correction of a line sent in roster {batch.pk}"
    client.force_login(board)
    workbook = load_workbook(io.BytesIO(b"".join(client.get(reverse("report_roster")).streaming_content)))
    assert [row[4] for row in workbook["Roster"].iter_rows(values_only=True)] == ["RN1234576"]
    notes = list(workbook["Corrections"].iter_rows(values_only=True))
    assert notes[1][:4] == (1, "RN FL RN1234576", "Alice Nguyen", new.serial)
    assert f"replaces certificate {certificate.serial}" in notes[1][4] and f"roster {batch.pk}" in notes[1][4]

    second = roster_mark_reported(f=ALL, by=board)
    assert roster_lines(ALL) == []
    assert roster_note(new) == f"roster {second.pk}: a correction of a line sent in roster {batch.pk}"


def test_changed_hours_are_sent_again_as_a_correction(certificate, course, board):
    batch = roster_mark_reported(f=ALL, by=board)
    Course.objects.filter(pk=course.pk).update(contact_hours=Decimal("1.50"))

    new = reissue(certificate, board, reason="Contact hours recalculated")

    (line,) = roster_lines(ALL)
    assert line.serial == new.serial and line.corrects_batch_id == batch.pk


def test_a_changed_completion_date_counts_as_a_change():
    old_line = CertificateLicense(state="FL", profession="RN", number="RN1")
    same = type("C", (), {"completion_date": date(2026, 1, 10), "contact_hours": Decimal("1.00")})
    moved = type("C", (), {"completion_date": date(2026, 1, 11), "contact_hours": Decimal("1.00")})
    assert _same_for_ce_broker(old_line, old_line, same, same)
    assert not _same_for_ce_broker(old_line, old_line, same, moved)


def test_a_reissue_before_any_roster_is_reported_once_and_not_as_a_correction(certificate, board):
    new = reissue(certificate, board)

    (line,) = roster_lines(ALL)
    assert line.serial == new.serial and not line.is_correction
    assert "Corrections" not in load_workbook(io.BytesIO(roster_workbook([line]))).sheetnames


def test_a_second_reissue_still_sends_nothing_new(certificate, passed_learner, board):
    batch = roster_mark_reported(f=ALL, by=board)
    second = reissue(reissue(certificate, board), board, reason="Credentials changed")

    assert roster_lines(ALL) == []
    assert RosterEntry.objects.get(license__certificate=second).batch == batch


def test_a_new_license_on_the_reissue_is_reported_as_new(certificate, passed_learner, board):
    roster_mark_reported(f=ALL, by=board)
    License.objects.create(user=passed_learner, profession="RN", state="GA", number="GA555", is_primary=False)

    reissue(certificate, board, reason="License added")

    (line,) = roster_lines(ALL)
    assert (line.state, line.license_number, line.is_correction) == ("GA", "GA555", False)


def test_an_entry_is_carried_forward_once_and_a_line_corrected_once(certificate, board):
    roster_mark_reported(f=ALL, by=board)
    new = reissue(certificate, board)
    entry = RosterEntry.objects.get(license__certificate=new)
    original = entry.carried_from
    line = CertificateLicense.objects.get(certificate=new)
    spare = CertificateLicense.objects.create(
        certificate=new, position=2, profession="RN", state="GA", number="GA1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterEntry.objects.create(batch=entry.batch, license=spare, carried_from=original)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateLicense.objects.filter(pk=spare.pk).update(corrects=line.corrects)


def test_a_correction_reissued_again_before_the_next_roster_is_still_sent_as_a_correction(
    certificate, passed_learner, board
):
    batch = roster_mark_reported(f=ALL, by=board)
    License.objects.filter(user=passed_learner).update(number="RN1234576")
    corrected = reissue(certificate, board, reason="License number corrected")
    passed_learner.last_name = "Nguyen-Smith"
    passed_learner.save()

    newest = reissue(corrected, board)

    (line,) = roster_lines(ALL)
    assert line.serial == newest.serial and line.license_number == "RN1234576"
    assert line.is_correction and line.corrects_batch_id == batch.pk
    assert line.corrects_serial == certificate.serial  # the certificate whose line CE Broker holds
    assert roster_note(newest) == f"not yet sent: a correction of a line sent in roster {batch.pk}"


def test_a_correction_undone_before_the_next_roster_sends_nothing(certificate, passed_learner, board):
    batch = roster_mark_reported(f=ALL, by=board)
    License.objects.filter(user=passed_learner).update(number="RN1234576")
    corrected = reissue(certificate, board, reason="License number corrected")
    License.objects.filter(user=passed_learner).update(number="RN1234567")  # the first number was right

    newest = reissue(corrected, board, reason="Correction withdrawn")

    assert roster_lines(ALL) == [] and unreported_line_count(ALL) == 0
    entry = RosterEntry.objects.get(license__certificate=newest)
    assert entry.batch == batch and entry.carried_from.license.certificate_id == certificate.pk
