"""CE board exports: completion CSV, CE Broker roster and its batches, certificate ZIP, overdue count."""

import csv
import hashlib
import io
import itertools
import threading
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from certificates.models import Certificate, CertificateLicense
from certificates.services import certificate_revoke
from modules.models import Enrollment
from reports import exports, services, summary
from reports.exports import (
    COMPLETION_COLUMNS,
    RosterLine,
    certificates_zip,
    completion_csv,
    neutralise,
    roster_workbook,
)
from reports.filters import CompletionFilter
from reports.models import ReportDownload, RosterBatch, RosterEntry
from reports.selectors import completion_queryset, completion_rows
from reports.services import (
    RosterError,
    batch_roster_lines,
    download_record,
    overdue_unreported,
    roster_lines,
    roster_mark_reported,
    unreported_line_count,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INJECTIONS = ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"]
_numbers = itertools.count(1)  # unique emails, serials and codes across calls within a test


def make_certificates(course, count, *, completed=date(2026, 1, 10), names=None, licenses=(("RN", "FL"),)):
    """`count` learners with a live certificate of `course`, inserted in bulk (the issue service
    renders a PDF per certificate, far too slow for hundreds). Every license tuple is (profession, state)."""
    numbers = [next(_numbers) for _ in range(count)]
    users = User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", first_name="Bulk", last_name=f"Nurse{n}", password="!")
        for n in numbers
    )
    now = timezone.now()
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(user=user, course=course, disclosures_acknowledged_at=now, completed_at=now)
        for user in users
    )
    certificates = Certificate.objects.bulk_create(
        _certificate(course, user, enrollment, n, completed, names[i] if names else None, now)
        for i, (n, user, enrollment) in enumerate(zip(numbers, users, enrollments, strict=True))
    )
    CertificateLicense.objects.bulk_create(
        CertificateLicense(
            certificate=certificate,
            position=position,
            profession=profession,
            state=state,
            number=f"{profession}{state}{certificate.pk:06d}",
        )
        for certificate in certificates
        for position, (profession, state) in enumerate(licenses, start=1)
    )
    summary.certificates_added(certificates)  # the board's running totals, as certificate_issue keeps them
    return certificates


def _certificate(course, user, enrollment, number, completed, name, now):
    pdf = b"%PDF-1.4 test certificate " + str(number).encode() + bytes(range(256))
    return Certificate(
        serial=f"CE-TEST-{number:06d}",
        verification_code=f"CODE{number:08d}",
        user=user,
        course=course,
        enrollment=enrollment,
        learner_name=name or f"Bulk Nurse{number}",
        learner_credentials="RN",
        course_title=course.title,
        provider_name=course.provider_name,
        provider_address="",
        provider_web_address="",
        provider_approval_number=course.provider_approval_number,
        accreditation_statement=course.accreditation_statement,
        contact_hours=Decimal("1.50"),
        completion_date=completed,
        nurse_planner_name="Pat Planner",
        nurse_planner_credentials="MSN, RN",
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=now,
    )


def read_csv(queryset):
    data = b"".join(completion_csv(queryset))
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def open_roster(lines):
    return load_workbook(io.BytesIO(roster_workbook(lines))).active


@pytest.fixture
def broker_course(course):
    course.provider.approval_number = "50-12345"
    course.provider.save()
    course.ce_broker_course_number = "20-654321"
    course.save()
    return course


# --- neutralising ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
def test_neutralise_quotes_every_formula_trigger(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize(
    ("value", "text"), [(None, ""), ("Alice", "Alice"), ("", ""), (Decimal("1.00"), "1.00"), (3, "3")]
)
def test_neutralise_leaves_plain_values_alone(value, text):
    assert neutralise(value) == text


# --- completion CSV -------------------------------------------------------------------------------


def test_csv_neutralises_injection_payloads_in_names(course):
    make_certificates(course, len(INJECTIONS), names=INJECTIONS)
    rows = read_csv(completion_queryset(CompletionFilter()))
    names = {row[0] for row in rows[1:]}
    assert names == {"'" + payload for payload in INJECTIONS}


def test_csv_neutralises_every_cell_someone_can_write(course):
    # The completion CSV checks only these cells (csv_stream's `neutralised`): each must be covered.
    (certificate,) = make_certificates(course, 1, names=["=HYPERLINK(1)"])
    Certificate.objects.filter(pk=certificate.pk).update(
        learner_credentials="+RN", course_title="-Course", revoked_at=timezone.now(), revoked_reason="@reason"
    )
    CertificateLicense.objects.filter(certificate=certificate).update(profession="=RN")
    User.objects.filter(pk=certificate.user_id).update(email="=x@example.com")
    header, row = read_csv(completion_rows(CompletionFilter(status="all")))
    cells = dict(zip(header, row, strict=True))
    for column in ("Learner name", "Credentials", "Licenses", "Email", "Course", "Revoked reason"):
        assert cells[column].startswith("'"), column


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_background_csv_plans_for_every_row_and_puts_the_setting_back():
    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            return cursor.fetchone()[0]

    before = setting()
    with exports.planned_for_every_row():
        assert setting() == "1"
    assert setting() == before == "0.1"
    with pytest.raises(RuntimeError), exports.planned_for_every_row():
        raise RuntimeError("the export failed")
    assert setting() == "0.1"


def test_csv_row_of_an_issued_certificate(certificate, passed_learner):
    header, row = read_csv(completion_rows(CompletionFilter()))
    assert tuple(header) == COMPLETION_COLUMNS
    assert row == [
        "Alice Nguyen",
        "RN, BSN",
        "RN FL RN1234567",
        "alice@example.com",
        "Hamstring course",
        certificate.completion_date.isoformat(),
        "1.00",
        "100.00",
        "1",
        "0",
        certificate.serial,
        certificate.verification_code,
        "Valid",
        "",
        "no",
        "0",  # tracked when she attested (the fixture's modules are completed in no time)
        "60",
        "yes",
        "",
    ]


def test_csv_dates_are_iso_and_licenses_joined(course):
    make_certificates(course, 1, completed=date(2026, 3, 4), licenses=[("RN", "FL"), ("APRN", "GA")])
    (_, row) = read_csv(completion_queryset(CompletionFilter()))
    assert row[5] == "2026-03-04"
    assert row[2].startswith("RN FL RN") and "; APRN GA APRN" in row[2]
    assert row[6] == "1.50"


def test_csv_shows_revoked_status_reason_and_reported(course, board):
    revoked, reported, _plain = make_certificates(course, 3)
    Certificate.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now(), revoked_reason="Wrong name")
    roster_mark_reported(f=CompletionFilter(), by=board)  # reports the two live ones
    rows = {row[10]: row for row in read_csv(completion_queryset(CompletionFilter(status="all")))[1:]}
    assert rows[revoked.serial][12:15] == ["Revoked", "Wrong name", "no"]
    assert rows[reported.serial][12:15] == ["Valid", "", "yes"]
    batch = RosterBatch.objects.get()
    assert rows[reported.serial][-1] == f"roster {batch.pk}" and rows[revoked.serial][-1] == ""


def test_csv_has_one_row_per_certificate_across_chunks(course):
    count = exports.FETCH_CHUNK + 150  # crosses a fetch chunk and several yield chunks
    make_certificates(course, count)
    chunks = list(completion_csv(completion_rows(CompletionFilter())))
    assert len(chunks) > count // exports.YIELD_EVERY
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert len(rows) == count + 1
    assert len({row[10] for row in rows[1:]}) == count


def test_csv_of_no_certificates_is_the_header_alone():
    assert read_csv(completion_queryset(CompletionFilter()).none()) == [list(COMPLETION_COLUMNS)]
    assert read_csv(completion_queryset(CompletionFilter(state="TX"))) == [list(COMPLETION_COLUMNS)]


def _csv_queries(count, course):
    Certificate.objects.all().update(revoked_at=timezone.now(), revoked_reason="reset")
    make_certificates(course, count)
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(completion_rows(CompletionFilter()))
    assert len(rows) == count + 1
    return len(queries)


def test_csv_query_count_does_not_grow_with_certificates(course):
    # PostgreSQL reads the licenses in the same query; SQLite in one more query per chunk.
    assert (
        _csv_queries(5, course) == _csv_queries(50, course) == (1 if connection.vendor == "postgresql" else 2)
    )


# --- CE Broker roster -----------------------------------------------------------------------------


def line(**fields):
    values = {
        "license_id": 1,
        "provider_number": "50-12345",
        "course_number": "20-654321",
        "license_number": "RN1234567",
        "completion_date": date(2026, 2, 3),
        "state": "FL",
        "profession": "RN",
    }
    return RosterLine(**{**values, **fields})


def test_roster_columns_follow_ce_broker_layout():
    sheet = open_roster([line()])
    assert sheet.max_row == 1  # no header row
    assert [cell.value for cell in sheet[1]][:8] == [
        "12345",
        "654321",
        None,
        None,
        "RN1234567",
        sheet["F1"].value,
        "State=FL",
        "Profession=RN",
    ]
    assert sheet["F1"].is_date and sheet["F1"].value.date() == date(2026, 2, 3)
    assert sheet["F1"].number_format == "mm/dd/yyyy"


def test_roster_strips_only_a_leading_prefix():
    sheet = open_roster(
        [line(provider_number="FBN 50-12345", course_number="20-20-1"), line(provider_number="")]
    )
    assert (sheet["A1"].value, sheet["B1"].value) == ("FBN 50-12345", "20-1")
    assert sheet["A2"].value is None


def test_roster_keeps_formula_like_license_numbers_as_text():
    sheet = open_roster([line(license_number="=HYPERLINK(1)")])
    assert sheet["E1"].value == "=HYPERLINK(1)" and sheet["E1"].data_type == "s"


def test_roster_lines_come_from_the_course_and_certificate(broker_course):
    (certificate,) = make_certificates(broker_course, 1, completed=date(2026, 1, 5))
    (only,) = roster_lines(CompletionFilter())
    assert only == RosterLine(
        license_id=certificate.licenses.get().pk,
        provider_number="50-12345",
        course_number="20-654321",
        license_number=f"RNFL{certificate.pk:06d}",
        completion_date=date(2026, 1, 5),
        state="FL",
        profession="RN",
        learner_name=certificate.learner_name,
        serial=certificate.serial,
    )
    sheet = open_roster([only])
    assert (sheet["A1"].value, sheet["B1"].value) == ("12345", "654321")


def test_nurse_with_two_licenses_gives_two_rows(broker_course):
    make_certificates(broker_course, 1, licenses=[("RN", "FL"), ("RN", "GA")])
    sheet = open_roster(roster_lines(CompletionFilter()))
    assert sheet.max_row == 2
    assert [sheet[f"G{row}"].value for row in (1, 2)] == ["State=FL", "State=GA"]


def test_state_filter_narrows_the_lines_themselves(broker_course):
    make_certificates(broker_course, 1, licenses=[("RN", "FL"), ("LPN", "GA")])
    assert [x.state for x in roster_lines(CompletionFilter(state="GA"))] == ["GA"]
    assert [x.profession for x in roster_lines(CompletionFilter(profession="RN"))] == ["RN"]


def test_roster_is_ordered_by_completion_date_and_leaves_out_revoked(broker_course):
    late, early, revoked = (
        make_certificates(broker_course, 1, completed=day)[0]
        for day in (date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 15))
    )
    Certificate.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now(), revoked_reason="Wrong")
    assert [x.serial for x in roster_lines(CompletionFilter(status="all"))] == [early.serial, late.serial]


def test_second_roster_after_mark_as_reported_holds_only_new_completions(broker_course, board):
    make_certificates(broker_course, 3)
    batch = roster_mark_reported(f=CompletionFilter(), by=board)
    assert batch.entries.count() == 3 and batch.created_by == board
    assert batch.filters == {"status": "live"}
    assert roster_lines(CompletionFilter()) == []
    new = make_certificates(broker_course, 2)
    assert {x.serial for x in roster_lines(CompletionFilter())} == {c.serial for c in new}
    second = roster_mark_reported(f=CompletionFilter(), by=board)
    assert second.entries.count() == 2


def test_unreported_line_count_matches_the_lines(broker_course, board):
    make_certificates(broker_course, 3, licenses=[("RN", "FL"), ("RN", "GA")])
    assert unreported_line_count(CompletionFilter()) == len(roster_lines(CompletionFilter())) == 6
    roster_mark_reported(f=CompletionFilter(state="GA"), by=board)
    assert unreported_line_count(CompletionFilter()) == 3


def test_mark_as_reported_with_nothing_new_says_so(broker_course, board):
    with pytest.raises(RosterError, match=r"^Nothing new to report\.$"):
        roster_mark_reported(f=CompletionFilter(), by=board)


def test_a_past_batch_downloads_again_with_the_same_lines(broker_course, board):
    make_certificates(broker_course, 2, licenses=[("RN", "FL"), ("RN", "GA")])
    before = roster_lines(CompletionFilter())
    batch = roster_mark_reported(f=CompletionFilter(), by=board)
    make_certificates(broker_course, 1)
    roster_mark_reported(f=CompletionFilter(), by=board)
    assert batch_roster_lines(batch) == before
    # Cell by cell: the files' own zip timestamps may differ by a second between the two writes.
    assert workbook_cells(roster_workbook(batch_roster_lines(batch))) == workbook_cells(
        roster_workbook(before)
    )


def workbook_cells(data):
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_a_line_reported_concurrently_is_not_reported_twice(broker_course, board, monkeypatch):
    """The second reviewer read the lines before the first one's batch committed."""
    make_certificates(broker_course, 2)
    stale = roster_lines(CompletionFilter())
    first = RosterEntry.objects.create(
        batch=services.RosterBatch.objects.create(created_by=board), license_id=stale[0].license_id
    )
    reads = iter([stale])
    real = services.roster_lines
    monkeypatch.setattr(services, "roster_lines", lambda f: next(reads, None) or real(f))
    batch = roster_mark_reported(f=CompletionFilter(), by=board)
    assert [e.license_id for e in batch.entries.all()] == [stale[1].license_id]
    assert RosterEntry.objects.filter(license_id=stale[0].license_id).get() == first


def test_repeated_collisions_give_a_clear_error(broker_course, board, monkeypatch):
    make_certificates(broker_course, 1)
    stale = roster_lines(CompletionFilter())
    roster_mark_reported(f=CompletionFilter(), by=board)
    monkeypatch.setattr(services, "roster_lines", lambda f: stale)
    with pytest.raises(RosterError, match=r"^Another reviewer .* Reload the page"):
        roster_mark_reported(f=CompletionFilter(), by=board)
    assert RosterEntry.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_marking_at_once_report_each_line_once(broker_course, monkeypatch):
    make_certificates(broker_course, 3, licenses=[("RN", "FL"), ("RN", "GA")])
    reviewers = [UserFactory(), UserFactory()]  # not `board`: a transactional test has no groups
    both_read = threading.Barrier(2, timeout=10)
    waited = set()
    real = services.roster_lines

    def read_then_wait(f):
        # Both read the same six lines before either writes: the race the unique license settles.
        lines = real(f)
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_read.wait()
        return lines

    monkeypatch.setattr(services, "roster_lines", read_then_wait)
    batches, errors = [], []

    def mark(by):
        try:
            batches.append(roster_mark_reported(f=CompletionFilter(), by=by))
        except RosterError as error:
            errors.append(str(error))
        finally:
            connection.close()  # this thread's own connection, or the test database cannot be dropped

    threads = [threading.Thread(target=mark, args=(by,)) for by in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(batches) == 1 and errors == ["Nothing new to report."]
    assert RosterEntry.objects.count() == 6 == batches[0].entries.count()


# --- overdue and the download log -----------------------------------------------------------------


def test_overdue_counts_live_unreported_license_lines_older_than_the_limit(broker_course, board):
    today = date(2026, 5, 1)
    make_certificates(
        broker_course, 2, completed=today - timedelta(days=21), licenses=[("RN", "FL"), ("RN", "GA")]
    )
    make_certificates(broker_course, 1, completed=today - timedelta(days=20))
    (revoked,) = make_certificates(broker_course, 1, completed=today - timedelta(days=40))
    certificate_revoke(certificate=revoked, reason="Wrong", by=board)
    f = CompletionFilter()
    assert overdue_unreported(f, today=today) == 4  # license lines (CE Broker's unit), of two certificates
    assert overdue_unreported(f, days=19, today=today) == 5
    assert overdue_unreported(CompletionFilter(state="GA"), today=today) == 2
    roster_mark_reported(f=f, by=board)
    assert overdue_unreported(f, today=today) == 0


def test_download_record_logs_user_export_filter_and_count(board, course):
    f = CompletionFilter(course_id=course.pk, completed_from=date(2026, 1, 1))
    record = download_record(user=board, export="completion_csv", f=f, row_count=12)
    assert ReportDownload.objects.get() == record
    assert record.filters == {"course_id": course.pk, "completed_from": "2026-01-01", "status": "live"}
    assert (record.user, record.export, record.row_count) == (board, "completion_csv", 12)


# --- certificate ZIP ------------------------------------------------------------------------------


def test_zip_entries_are_the_stored_pdfs_byte_for_byte(course, certificate):
    made = make_certificates(course, 3)
    chunks = list(certificates_zip(completion_queryset(CompletionFilter())))
    assert len(chunks) > 1  # streamed, one entry at a time
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    expected = {c.serial: bytes(Certificate.objects.get(pk=c.pk).pdf) for c in [certificate, *made]}
    assert sorted(archive.namelist()) == sorted(f"certificate-{serial}.pdf" for serial in expected)
    for serial, pdf in expected.items():
        assert archive.read(f"certificate-{serial}.pdf") == pdf
    assert archive.getinfo(f"certificate-{certificate.serial}.pdf").compress_type == zipfile.ZIP_STORED


def test_the_zips_central_directory_is_sent_in_blocks_not_held_whole(course, certificate, monkeypatch):
    from reports import exports

    make_certificates(course, 3)
    monkeypatch.setattr(exports._Sink, "BLOCK_BYTES", 64)
    monkeypatch.setattr(exports._Sink, "SPOOL_BYTES", 128)  # spilled to a temporary file past this
    chunks = list(certificates_zip(completion_queryset(CompletionFilter())))
    tail = chunks[4:]  # after the four entries: the central directory and its end record
    assert len(tail) > 1 and all(len(block) <= 64 for block in tail)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None and len(archive.namelist()) == 4
