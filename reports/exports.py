"""The CE board's downloads of the current filter: completion CSV, CE Broker roster, certificate ZIP.

In the manner of pretix's exporters: each export yields a header and rows of plain values, and one
writer turns them into CSV safely (formula injection neutralised, a BOM so that Excel reads UTF-8,
as pretalx does). Nothing here knows about HTTP: functions take querysets or iterables and return
bytes or iterators of bytes, which a view hands to StreamingHttpResponse / HttpResponse.
"""

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import islice

from django.contrib.postgres.aggregates import StringAgg
from django.db import connections
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from certificates.models import CertificateLicense
from reports.models import RosterEntry
from reports.selectors import attested_time_flagged

BOM = "\ufeff"

# OWASP's list: a spreadsheet treats a cell starting with these as a formula (or, for tab and CR,
# strips them and then does). A leading quote makes it text and shows the value unchanged.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)

# Rows per database round trip (and per license query) and rows per yielded bytes chunk. A yield per
# row would cost more in the WSGI server than writing the row does; 500 rows is ~100 KB.
FETCH_CHUNK = 2000
YIELD_EVERY = 500


def neutralise(value) -> str:
    """The cell's text, with a leading quote when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_stream(header: Iterable, rows: Iterable[Iterable], *, neutralised: bool = False) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, every cell neutralised, in chunks of YIELD_EVERY rows.

    `neutralised`: the rows' cells are strings already passed through neutralise() where they could
    hold someone's text (completion_records); otherwise every cell is checked here. One small
    StringIO is reused, so memory stays flat however many rows come.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write(BOM)
    writer.writerow([neutralise(cell) for cell in header])
    yield drain()
    if not neutralised:
        # neutralise() inlined for the common case, a plain string that starts harmlessly: a
        # function call per cell is a tenth of the whole export's time.
        rows = (
            [c if c.__class__ is str and c[:1] not in _TRIGGER_CHARS else neutralise(c) for c in row]
            for row in rows
        )
    rows = iter(rows)
    # writerows over a slice: the csv module loops over the rows in C, not a Python call per row.
    while True:
        writer.writerows(islice(rows, YIELD_EVERY))
        data = drain()
        if not data:
            return
        yield data


# --- completion CSV -------------------------------------------------------------------------------

COMPLETION_COLUMNS = (
    "Learner name",
    "Credentials",
    "Licenses",
    "Email",
    "Course",
    "Completion date",
    "Contact hours",
    "Best post-test score (%)",
    "Attempts used",
    "Minutes spent",
    "Certificate serial",
    "Verification code",
    "Status",
    "Revoked reason",
    "Reported to CE Broker",
    "Minutes tracked at attestation",
    "Minutes attested",
    "Attested time over tracked",
    "CE Broker roster",
)

# Plain tuples, not model instances: building 100,000 Certificates (with their course) would cost
# eight times what the whole export does now (bench/bench_csv_export.py). The order matches
# the unpacking in completion_records.
_COMPLETION_FIELDS = (
    "pk",
    "learner_name",
    "learner_credentials",
    "user__email",
    "course_title",
    "completion_date",
    "contact_hours",
    "best_percent",
    "attempts_used",
    "seconds_spent",
    "serial",
    "verification_code",
    "revoked_at",
    "revoked_reason",
    "reported_to_ce_broker",
    "minutes_tracked",
    "minutes_attested",
    "roster_batch",
    "carried_with",
    "corrects_batch",
)


def license_text(profession: str, state: str, number: str) -> str:
    return f"{profession} {state} {number}"


def _licenses_by_certificate(certificate_ids: list[int], using: str) -> dict[int, str]:
    """{certificate id: "RN FL RN1234567; RN GA ..."} for one chunk: one query per FETCH_CHUNK rows.

    Plain SQL on purpose: the ORM prepares each of the 2,000 ids of an IN list one by one, which
    costs three times the query itself. On PostgreSQL the ids travel as one array, because psycopg
    parses a query of 2,000 placeholders slower than the server runs it.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(CertificateLicense._meta.db_table)
    columns = ", ".join(quote(name) for name in ("certificate_id", "profession", "state", "number"))
    if connection.vendor == "postgresql":
        condition, params = f"{quote('certificate_id')} = ANY(%s)", [certificate_ids]
    else:
        placeholders = ", ".join(["%s"] * len(certificate_ids))
        condition, params = f"{quote('certificate_id')} IN ({placeholders})", certificate_ids
    # Only quoted model names and placeholders are formatted in; the ids travel as parameters.
    order = f"{quote('certificate_id')}, {quote('position')}"
    sql = f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY {order}"  # noqa: S608
    texts: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for certificate_id, profession, state, number in cursor.fetchall():
            texts.setdefault(certificate_id, []).append(license_text(profession, state, number))
    return {certificate_id: "; ".join(parts) for certificate_id, parts in texts.items()}


def _fmt2(value) -> str | None:
    # Two places whatever the driver hands back: Decimal (psycopg), float or int (SQLite).
    return None if value is None else f"{value:.2f}"


def _raw_chunks(queryset) -> Iterator[list[tuple]]:
    """The rows of a values_list queryset as the database driver returns them, FETCH_CHUNK at a time.

    This is what QuerySet.iterator(chunk_size=...) runs (a server-side cursor on PostgreSQL, chunked
    reads on SQLite) minus Django's per-value converters, a fifth of the export's time in the benchmark;
    completion_records formats the raw values itself, in ways that hold for both drivers' types.
    """
    compiler = queryset.query.get_compiler(using=queryset.db)
    yield from compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=FETCH_CHUNK)


def _licenses_text():
    """PostgreSQL: the certificate's licenses as the CSV's text, by the database in the export's query.

    A query per chunk (_licenses_by_certificate) costs 2,000 index lookups and a round trip that
    the CSV writer waits for; in the query, the server does the lookups while it reads the rows
    (README, "Exports at scale").
    """
    return Subquery(
        CertificateLicense.objects.filter(certificate=OuterRef("pk"))
        .order_by()
        .values("certificate")
        .annotate(
            text=StringAgg(
                Concat("profession", Value(" "), "state", Value(" "), "number"), "; ", order_by="position"
            )
        )
        .values("text")
    )


def completion_values(queryset):
    """`queryset` as the values_list of _COMPLETION_FIELDS the CSV is written from, plus the licenses'
    text last on PostgreSQL (on SQLite they come per chunk: completion_records)."""
    entries = RosterEntry.objects.filter(license__certificate=OuterRef("pk"))
    licenses = {"licenses_text": _licenses_text()} if connections[queryset.db].vendor == "postgresql" else {}
    return (
        queryset.prefetch_related(
            None
        )  # licenses come in the query or per chunk; values_list cannot prefetch
        .annotate(
            reported_to_ce_broker=Exists(entries),
            roster_batch=Subquery(entries.order_by("batch_id").values("batch_id")[:1]),
            carried_with=Subquery(
                entries.filter(carried_from__isnull=False).values(
                    "carried_from__license__certificate__serial"
                )[:1]
            ),
            # A line that corrects one CE Broker has, sent or still to send (a carried line is not one).
            corrects_batch=Subquery(
                CertificateLicense.objects.filter(
                    certificate=OuterRef("pk"),
                    corrects__roster_entry__isnull=False,
                    roster_entry__carried_from__isnull=True,
                ).values("corrects__roster_entry__batch_id")[:1]
            ),
        )
        .annotate(**licenses)
        .values_list(*_COMPLETION_FIELDS, *licenses)
    )


def completion_export_sql(queryset):
    """(sql, params): the PostgreSQL query of the CSV's columns, licenses as text included.

    The floor the export is measured against (bench/run_scale.py runs it through psql's \\copy).
    """
    return completion_values(queryset).query.get_compiler(using=queryset.db).as_sql()


@contextmanager
def planned_for_every_row(using: str = "default"):
    """On PostgreSQL, plan the export's cursor for reading all of its rows.

    PostgreSQL plans a cursor's query for its first tenth of rows (cursor_tuple_fraction 0.1): an
    index lookup per row, quick to the first page but twice the time of hash joins over a whole table
    (the CSV of 622,291 certificates: 28.7 s against 16.9 s). A background export reads every row,
    so it says so; a direct download of a few thousand keeps the quick plan. The setting is the
    session's (the progress updates must commit, so the export is not one transaction): it is put
    back when the export ends or fails.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")


def completion_records(queryset) -> Iterator[tuple]:
    """One tuple of cells per certificate of `queryset` (reports.selectors.completion_queryset or
    completion_rows), in its order. Two queries per FETCH_CHUNK certificates, whatever the count.
    """
    rows = completion_values(queryset)
    in_query = connections[queryset.db].vendor == "postgresql"
    triggers = _TRIGGER_CHARS
    for chunk in _raw_chunks(rows):
        if not in_query:  # SQLite: the licenses' text added to each row, as PostgreSQL's query gives it
            by_id = _licenses_by_certificate([row[0] for row in chunk], queryset.db)
            chunk = [(*row, by_id.get(row[0])) for row in chunk]
        for (
            _pk,
            name,
            credentials,
            email,
            course_title,
            completed,
            hours,
            best_percent,
            attempts,
            seconds,
            serial,
            code,
            revoked_at,
            revoked_reason,
            is_reported,
            tracked,
            attested,
            roster_batch,
            carried_with,
            corrects_batch,
            licenses_text,
        ) in chunk:
            # Only the cells that can hold someone's text are neutralised (csv_stream's `neutralised`):
            # the others are dates, non-negative numbers and our own words. The check is written
            # out, neutralise() called only for an empty or risky value: eight calls a row were a
            # third of the Python time of a million-row export.
            yield (
                name if name and name[0] not in triggers else neutralise(name),
                credentials if credentials and credentials[0] not in triggers else neutralise(credentials),
                licenses_text
                if licenses_text and licenses_text[0] not in triggers
                else neutralise(licenses_text),
                email if email and email[0] not in triggers else neutralise(email),
                course_title
                if course_title and course_title[0] not in triggers
                else neutralise(course_title),
                str(completed),  # a date (ISO) from either driver
                _fmt2(hours),
                _fmt2(best_percent),
                str(attempts),
                str(seconds // 60),  # whole minutes, as the dashboard and the attestation count them
                serial if serial and serial[0] not in triggers else neutralise(serial),
                code if code and code[0] not in triggers else neutralise(code),
                "Valid" if revoked_at is None else "Revoked",
                revoked_reason
                if revoked_reason and revoked_reason[0] not in triggers
                else neutralise(revoked_reason),
                "yes" if is_reported else "no",  # a bool, or 0/1 from SQLite
                "" if tracked is None else str(tracked),
                "" if attested is None else str(attested),
                "yes" if attested_time_flagged(attested, tracked) else "no",
                roster_note(roster_batch, carried_with, corrects_batch),
            )


def roster_note(batch_id, carried_with, corrects_batch_id) -> str:
    """Where the certificate stands with CE Broker, for the completion CSV."""
    if batch_id is not None and carried_with:
        return f"roster {batch_id}: reported with {carried_with}, which this certificate replaces"
    if corrects_batch_id is not None:
        if batch_id is not None:
            return f"roster {batch_id}: a correction of a line sent in roster {corrects_batch_id}"
        return f"not yet sent: a correction of a line sent in roster {corrects_batch_id}"
    return f"roster {batch_id}" if batch_id is not None else ""


def completion_csv(queryset) -> Iterator[bytes]:
    """The completion report as CSV bytes, streamed in constant memory (see csv_stream).

    `queryset` comes from reports.selectors (completion_queryset or completion_rows): the export
    reads its best_percent, attempts_used and seconds_spent annotations.
    """
    return csv_stream(COMPLETION_COLUMNS, completion_records(queryset), neutralised=True)


# --- CE Broker roster -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    """One reported license: a row of CE Broker's roster. Numbers are kept as stored on the course."""

    license_id: int
    provider_number: str
    course_number: str
    license_number: str
    completion_date: date
    state: str
    profession: str
    learner_name: str = ""
    serial: str = ""
    # Set when this line corrects one CE Broker already has (a re-issue changed the number, date or
    # hours): the roster that sent the original and the certificate it replaces.
    corrects_batch_id: int | None = None
    corrects_serial: str | None = None

    @property
    def is_correction(self) -> bool:
        return self.corrects_batch_id is not None


ROSTER_DATE_FORMAT = "mm/dd/yyyy"


def strip_prefix(value: str, prefix: str) -> str:
    """CE Broker wants its tracking numbers without their type prefix ("50-" provider, "20-" course)."""
    value = (value or "").strip()
    return value[len(prefix) :] if value.startswith(prefix) else value


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    # openpyxl would store a string starting with "=" as a formula. Forcing the string type keeps
    # a hostile license number as literal text without altering it (a quote would change what
    # CE Broker matches). Control characters are not allowed in a worksheet at all.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value or ""))
    cell.data_type = "s"
    return cell


def _roster_row(sheet, line: RosterLine) -> list:
    completed = WriteOnlyCell(sheet, value=line.completion_date)
    completed.number_format = ROSTER_DATE_FORMAT
    return [
        _text_cell(sheet, strip_prefix(line.provider_number, "50-")),  # A
        _text_cell(sheet, strip_prefix(line.course_number, "20-")),  # B
        None,  # C: the provider's own course ID, an alternative to B; we always give B
        None,  # D: a CE Broker publishing number, optional and unused here
        _text_cell(sheet, line.license_number),  # E
        completed,  # F: a real date cell, as CE Broker asks ("Excel date format")
        _text_cell(sheet, f"State={line.state}"),  # G
        _text_cell(sheet, f"Profession={line.profession}"),  # H
    ]


def roster_workbook(lines: Iterable[RosterLine]) -> bytes:
    """The roster workbook as bytes (see roster_workbook_to)."""
    buffer = io.BytesIO()
    roster_workbook_to(lines, buffer)
    return buffer.getvalue()


def roster_workbook_to(lines: Iterable[RosterLine], out) -> int:
    """CE Broker's "Excel upload, full credit" roster: one row per license, no header row.

    Layout per CE Broker's help article "Creating Excel Files (Full Course Credit)": A provider
    tracking number without "50-", B course tracking number without "20-" (or C: the provider's own
    course ID instead; left blank), D optional publishing number (blank), E license number, F date
    completed as an Excel date, G "State=XX", H "Profession=XX". The article describes data from
    row 1 with no column titles, so there is no header row.

    Writes to the file `out` and returns the number of lines. openpyxl's write-only mode keeps
    the rows in a temporary file, not in memory, so a million lines cost what a thousand do.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    corrections = []
    row_count = 0
    for row, line in enumerate(lines, start=1):
        row_count = row
        sheet.append(_roster_row(sheet, line))
        if line.is_correction:
            corrections.append((row, line))
    if corrections:
        # CE Broker reads the first sheet in its fixed layout; the reviewer reads this one.
        notes = workbook.create_sheet("Corrections")
        notes.append(["Roster row", "License", "Learner", "Certificate", "Note"])
        for row, line in corrections:
            notes.append(
                [
                    row,
                    _text_cell(notes, license_text(line.profession, line.state, line.license_number)),
                    _text_cell(notes, line.learner_name),
                    line.serial,
                    f"Correction: replaces certificate {line.corrects_serial}, whose line for this license "
                    f"was sent in roster {line.corrects_batch_id}; the license number, completion date or "
                    "hours changed.",
                ]
            )
    workbook.save(out)
    return row_count


# --- certificate PDFs as a ZIP --------------------------------------------------------------------


class _Sink:
    """A write-only file that keeps what was written until blocks() hands it out.

    No tell() or seek(): zipfile then writes each entry's sizes after its data (a data
    descriptor), which is what lets the archive stream without going back. What is written waits
    in a temporary file that moves to disk past SPOOL_BYTES: the central directory, written in one
    go on close (about 100 bytes per certificate), never sits in memory whole.
    """

    SPOOL_BYTES = 4 * 1024 * 1024
    BLOCK_BYTES = 1024 * 1024

    def __init__(self):
        self._spool = tempfile.SpooledTemporaryFile(max_size=self.SPOOL_BYTES)  # noqa: SIM115 - closed by close()

    def write(self, data) -> int:
        return self._spool.write(data)

    def flush(self) -> None:
        pass

    def blocks(self) -> Iterator[bytes]:
        """What was written since the last call, in blocks of at most BLOCK_BYTES; then empty."""
        self._spool.seek(0)
        while block := self._spool.read(self.BLOCK_BYTES):
            yield block
        self._spool.seek(0)
        self._spool.truncate()

    def close(self) -> None:
        self._spool.close()


def _zip_time(issued_at) -> tuple:
    # The entry's timestamp is the issue time, so that the same certificates give the same archive.
    local = timezone.localtime(issued_at) if timezone.is_aware(issued_at) else issued_at
    return local.timetuple()[:6] if local.year >= 1980 else (1980, 1, 1, 0, 0, 0)


def certificates_zip(queryset) -> Iterator[bytes]:
    """A ZIP of the stored PDFs of `queryset`'s certificates, "certificate-<serial>.pdf" each.

    Streamed: 50 PDFs at most are in memory. Stored, not deflated: a PDF is compressed already.
    """
    rows = queryset.prefetch_related(None).values_list("serial", "pdf", "issued_at").iterator(chunk_size=50)
    sink = _Sink()
    try:
        with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
            for serial, pdf, issued_at in rows:
                entry = zipfile.ZipInfo(f"certificate-{serial}.pdf", date_time=_zip_time(issued_at))
                entry.compress_type = zipfile.ZIP_STORED
                archive.writestr(entry, bytes(pdf))
                yield b"".join(sink.blocks())  # one PDF and its headers
        yield from sink.blocks()  # the central directory, written on close
    finally:
        sink.close()
