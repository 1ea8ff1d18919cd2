"""Writes of the CE board reports (roster batches, the download log) and the roster reads they rest on.

A CE Broker roster reports license lines, not certificates: a nurse with two licenses is two lines,
and each line is reported once ever (RosterEntry.license is unique), so every roster after a
"Mark as reported" holds only what is new.
"""

from dataclasses import replace
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from ce_course.audit import audit_record
from certificates.models import Certificate, CertificateLicense
from reports import summary
from reports.exports import FETCH_CHUNK, RosterLine
from reports.models import ReportDownload, RosterBatch, RosterEntry, UnreportedLines
from reports.selectors import completion_queryset


class RosterError(Exception):
    """A roster cannot be marked as reported; the message is meant for the reviewer."""


def _license_lines_in_scope(f):
    """License lines of the filter's live certificates (a revoked certificate is never reported).

    The filter's state and profession narrow the lines themselves, not only the certificates: a
    roster "for FL" reports the FL license of a nurse who also holds a GA one, not both.
    """
    certificates = completion_queryset(f).filter(revoked_at__isnull=True)
    licenses = CertificateLicense.objects.filter(certificate__in=certificates.values("pk"))
    if f.state:
        licenses = licenses.filter(state=f.state)
    if f.profession:
        licenses = licenses.filter(profession=f.profession)
    return licenses


def _unreported(f):
    return _license_lines_in_scope(f).filter(roster_entry__isnull=True)


def _as_lines(licenses) -> list[RosterLine]:
    return list(_iter_lines(licenses))


def _iter_lines(licenses):
    """RosterLines read FETCH_CHUNK at a time (a server-side cursor on PostgreSQL): flat memory."""
    rows = licenses.order_by("certificate__completion_date", "certificate_id", "position").values_list(
        "pk",
        "certificate__course__provider__approval_number",
        "certificate__course__ce_broker_course_number",
        "number",
        "certificate__completion_date",
        "state",
        "profession",
        "certificate__learner_name",
        "certificate__serial",
        "corrects__roster_entry__batch_id",
        "corrects__certificate__serial",
    )
    return (RosterLine(*row) for row in rows.iterator(chunk_size=FETCH_CHUNK))


def roster_lines(f) -> list[RosterLine]:
    """Every license line of the filter's live certificates not reported in an earlier roster,
    by completion date. Reads only."""
    return _as_lines(_unreported(f))


def iter_roster_lines(f):
    """roster_lines(f) one line at a time, for the streamed export of a large roster."""
    return _iter_lines(_unreported(f))


def unreported_line_count(f) -> int:
    """len(roster_lines(f)), added up from the running counts (UnreportedLines), one row per day."""
    return _unreported_lines(f)


def _unreported_lines(f, *, before=None):
    """Unreported lines of `f`, of certificates completed before the date `before` if given."""
    if before is not None and (f.completed_to is None or f.completed_to >= before):
        f = replace(f, completed_to=before - timedelta(days=1))
        if f.completed_from is not None and f.completed_from > f.completed_to:
            return 0
    if f.reported or f.status == "revoked":
        # Not in the running counts: "reported" narrows certificates by their roster entries, and
        # a revoked certificate has no line to report.
        return _unreported(f).count() if f.reported else 0
    rows = UnreportedLines.objects.all()
    if f.completed_from:
        rows = rows.filter(day__gte=f.completed_from)
    if f.completed_to:
        rows = rows.filter(day__lte=f.completed_to)
    if f.course_id:
        rows = rows.filter(course_id=f.course_id)
    # One kind of row per state and profession filter (see UnreportedLines).
    rows = rows.filter(state=f.state or UnreportedLines.ANY, profession=f.profession or UnreportedLines.ANY)
    return rows.aggregate(n=Sum("lines"))["n"] or 0


def batch_roster_lines(batch) -> list[RosterLine]:
    """The lines a past batch sent, by completion date, so its roster can be downloaded again
    (without the lines of re-issued certificates carried into it later: those were never sent)."""
    return _as_lines(
        CertificateLicense.objects.filter(roster_entry__batch=batch, roster_entry__carried_from__isnull=True)
    )


def _same_for_ce_broker(old_line, new_line, old, new) -> bool:
    """Whether CE Broker would receive exactly what it has (state and profession match already)."""
    return (
        old_line.number == new_line.number
        and old.completion_date == new.completion_date
        and old.contact_hours == new.contact_hours
    )


def _pair_lines(old_lines, new_lines):
    """[(new line, the old line it carries forward)]: the same license first, then the same state and
    profession (a corrected number). A line with no partner is a license new on this certificate."""
    remaining = list(old_lines)
    pairs = {}
    for same_number in (True, False):
        for line in new_lines:
            if line.pk in pairs:
                continue
            for old_line in remaining:
                if (old_line.state, old_line.profession) == (line.state, line.profession) and (
                    not same_number or old_line.number == line.number
                ):
                    pairs[line.pk] = (line, old_line)
                    remaining.remove(old_line)
                    break
    return list(pairs.values())


def _held_by_ce_broker(line):
    """The line CE Broker holds for this license: `line` when it was reported (or carried into a
    roster), else the line it corrects, followed back; None when CE Broker was never sent one."""
    while line is not None and getattr(line, "roster_entry", None) is None:
        line = line.corrects
    return line


def roster_carry_forward(*, old, new) -> None:
    """Link the license lines of `new`, a re-issue of `old`, to the lines they replace.

    Side effects: sets CertificateLicense.corrects on each paired line of `new`: to the old line, or,
    when the old line was itself a correction never sent, to the line CE Broker holds (the unsent
    correction gives its link up: the new line is now the correction to send). For a line whose
    number, completion date and hours equal what CE Broker holds, records a RosterEntry in the batch
    that reported it (carried, not sent), so no later roster sends a duplicate. A changed line stays
    unreported: the next roster lists it as a correction. Runs inside the re-issue's transaction.
    """
    old_lines = list(old.licenses.select_related("roster_entry", "corrects__roster_entry"))
    new_lines = list(new.licenses.all())
    carried = []
    for line, old_line in _pair_lines(old_lines, new_lines):
        held = _held_by_ce_broker(old_line)
        if held is not None and held.pk != old_line.pk:
            CertificateLicense.objects.filter(pk=old_line.pk).update(corrects=None)  # one link per line
            line.corrects = held
        else:
            line.corrects = old_line
        line.save(update_fields=["corrects"])
        if held is not None and _same_for_ce_broker(held, line, held.certificate, new):
            carried.append(
                RosterEntry(batch_id=held.roster_entry.batch_id, license=line, carried_from=held.roster_entry)
            )
    RosterEntry.objects.bulk_create(carried)
    summary.lines_reported(entry.license_id for entry in carried)  # the page's counts, in this transaction


def _mark(f, by) -> RosterBatch:
    with transaction.atomic():
        seen = roster_lines(f)
        if not seen:
            raise RosterError("Nothing new to report.")
        # A revoke or re-issue takes its lines out of the unreported counts itself, holding a lock on
        # the certificate. Lock the certificates of the lines read (in id order, as everyone does),
        # then read the lines again and keep those: a certificate revoked in between has dropped out,
        # and none kept can be revoked before this batch commits. Otherwise a line could be taken
        # out of the counts twice, once by the revoke and once here (issue 13 review).
        kept = {line.license_id for line in seen}
        certificate_ids = CertificateLicense.objects.filter(pk__in=kept).values_list(
            "certificate_id", flat=True
        )
        list(
            Certificate.objects.select_for_update().filter(pk__in=certificate_ids).order_by("pk").values("pk")
        )
        lines = [line for line in roster_lines(f) if line.license_id in kept]
        if not lines:
            raise RosterError("Nothing new to report.")
        batch = RosterBatch.objects.create(filters=f.as_dict(), created_by=by)
        RosterEntry.objects.bulk_create(
            RosterEntry(batch=batch, license_id=line.license_id) for line in lines
        )
        summary.lines_reported(line.license_id for line in lines)  # the page's counts, in this transaction
        return batch


def roster_mark_reported(*, f, by) -> RosterBatch:
    """Record every line roster_lines(f) returns as reported, in one new RosterBatch by `by`.

    Side effects: one RosterBatch and a RosterEntry per line, all or nothing. Two reviewers marking
    at once cannot report a line twice: the unique license makes the slower insert fail, and that
    call starts again once, now without the lines the other reported. Raises RosterError when
    there is nothing new to report, or when a second collision in a row leaves it unsure.
    """
    try:
        return _mark(f, by)
    except IntegrityError:
        pass  # another batch took some of these lines first; read what is left and try once more
    try:
        return _mark(f, by)
    except IntegrityError as error:
        raise RosterError(
            "Another reviewer was marking the same completions as reported. Reload the page and try again."
        ) from error


def overdue_unreported(f, *, days=20, today=None) -> int:
    """How many license lines of the filter's live completions are still unreported `days` days
    after completion (Florida wants a report within 30 days; the board is warned at 20)."""
    today = today or timezone.localdate()
    return _unreported_lines(f, before=today - timedelta(days=days))


def download_record(*, user, export, f, row_count=None) -> ReportDownload:
    """Log that `user` downloaded `export` (e.g. "completion_csv") of filter `f`.

    Side effects: a ReportDownload row, and the same fact in the audit log, where an auditor reads
    every change and download in one place.
    """
    download = ReportDownload.objects.create(
        user=user, export=export, filters=f.as_dict(), row_count=row_count
    )
    audit_record(
        actor=user,
        action="report.downloaded",
        obj=download,
        summary=f"{export} downloaded",
        data={"filters": download.filters, "rows": row_count},
    )
    return download
