"""Exports made by the background worker: large ones, so no request waits minutes for them.

A reviewer's export request with more than `settings.EXPORT_JOB_ROWS` rows creates an ExportJob
and enqueues `export_job_run` in the same transaction (the queue is a table of the same database,
so there is never a job without its task, nor a task without its job). The worker writes the file
through the existing generators (reports/exports.py, pdf_summary.py, activity_file.py) into
the exports storage (STORAGES["exports"], private), counting `done` of `total` as it goes; the job's page shows that count.
The file is kept `settings.EXPORT_JOB_KEEP_DAYS` days, then `export_jobs_expire` deletes it.
A failed export is not retried: its page says so and the reviewer asks again.
"""

import logging
import tempfile
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from certificates.models import Certificate, Evaluation
from modules.models import Course
from reports import exports, selectors, services
from reports.activity_file import activity_file_pdf
from reports.filters import CompletionFilter, CompletionFilterForm
from reports.models import ExportJob
from reports.pdf_summary import summary_pdf

logger = logging.getLogger(__name__)

# The page's `done` is written every this many rows: a few dozen UPDATEs for a large export.
PROGRESS_EVERY = 2000
PROGRESS_STEP = 100  # rows counted between two calls of Progress.advance
# A job still "running" this long after it started lost its worker (killed, machine restarted).
STALE_AFTER = timedelta(hours=6)
SUMMARY_PDF_ROW_CAP = 5000  # the same cap as the page's summary PDF (reports/views.py)

Kind = ExportJob.Kind
Status = ExportJob.Status


def filter_from_dict(data: dict) -> CompletionFilter:
    """The CompletionFilter a job was asked with (ExportJob.filters holds CompletionFilter.as_dict())."""
    values = dict(data)
    for name in ("completed_from", "completed_to"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return CompletionFilter(**values)


def export_job_create(*, user, kind: str, f: CompletionFilter, course=None) -> ExportJob:
    """Record the reviewer's export and enqueue the task that makes it (one transaction).

    The same export still waiting or running for the same reviewer is returned instead of a second
    one: the export links are plain GET links, so a reload or a double click must not queue twice.
    """
    filters = f.as_dict()
    with transaction.atomic():
        pending = ExportJob.objects.filter(
            user=user, kind=kind, filters=filters, course=course, status__in=[Status.QUEUED, Status.RUNNING]
        ).first()
        if pending is not None:
            return pending
        job = ExportJob.objects.create(user=user, kind=kind, filters=filters, course=course)
        export_job_run.enqueue(job.pk)
    return job


def job_for_user(user, job_id) -> ExportJob | None:
    """The job if `user` may see it: its owner, or an admin. None otherwise (the view answers 404)."""
    jobs = ExportJob.objects.select_related("course")
    if not user.is_superuser:
        jobs = jobs.filter(user=user)
    return jobs.filter(pk=job_id).first()


def jobs_of(user, limit=50):
    return list(ExportJob.objects.filter(user=user).select_related("course")[:limit])


def job_download_record(*, user, job) -> None:
    """Log the download like every other export (ReportDownload and the audit log)."""
    name = f"activity-file-{job.course.slug}.pdf" if job.kind == Kind.ACTIVITY else job.kind
    services.download_record(user=user, export=name, f=filter_from_dict(job.filters), row_count=job.total)


class Progress:
    """Counts rows as the generator yields them; writes `done` to the job every PROGRESS_EVERY rows."""

    def __init__(self, job_id: int, total: int):
        self.job_id, self.total, self.done, self.saved = job_id, total, 0, 0
        ExportJob.objects.filter(pk=job_id).update(total=total)

    def advance(self, rows: int = 1) -> None:
        # Rows added since the count would push done past total; the page never shows more than all.
        self.done = min(self.done + rows, self.total)
        if self.done - self.saved >= PROGRESS_EVERY or (self.done == self.total and self.saved < self.total):
            ExportJob.objects.filter(pk=self.job_id).update(done=self.done)
            self.saved = self.done

    def counted(self, rows):
        # Counted in steps, not a call per row: at a million rows the calls were a second of the CSV.
        step = 0
        for row in rows:
            yield row
            step += 1
            if step == PROGRESS_STEP:
                self.advance(step)
                step = 0
        if step:
            self.advance(step)


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _write_csv(job, f, out) -> str:
    rows = selectors.completion_rows(f)
    progress = Progress(job.pk, selectors.matching_certificates(f).count())
    with exports.planned_for_every_row(rows.db):
        records = progress.counted(exports.completion_records(rows))
        for chunk in exports.csv_stream(exports.COMPLETION_COLUMNS, records, neutralised=True):
            out.write(chunk)
    return f"completions-{_stamp()}.csv"


def _write_roster(job, f, out) -> str:
    # Counted from the running totals and read one line at a time: memory stays flat at a million lines.
    progress = Progress(job.pk, services.unreported_line_count(f))
    exports.roster_workbook_to(progress.counted(services.iter_roster_lines(f)), out)
    return f"ce-broker-roster-{_stamp()}.xlsx"


def _write_zip(job, f, out) -> str:
    queryset = selectors.completion_queryset(f)
    progress = Progress(job.pk, selectors.matching_certificates(f).count())
    for chunk in exports.certificates_zip(queryset):
        out.write(chunk)
        progress.advance()  # one chunk per certificate, then the central directory
    return f"certificates-{_stamp()}.zip"


def _describe(filters: dict) -> list[tuple[str, str]]:
    from reports.views import _describe as describe_form  # the page's own wording of a filter

    data = {("course" if k == "course_id" else k): v for k, v in filters.items()}
    return describe_form(CompletionFilterForm(data))


def _write_summary(job, f, out) -> str:
    rows = selectors.completion_rows(f)
    total = rows.count()
    progress = Progress(job.pk, min(total, SUMMARY_PDF_ROW_CAP))
    out.write(
        summary_pdf(
            filter_description=_describe(job.filters),
            summary=selectors.completion_summary(f),
            per_month=selectors.completions_per_month(f),
            scores=selectors.score_distribution(f),
            rows=progress.counted(rows[:SUMMARY_PDF_ROW_CAP]),
            truncated_total=total if total > SUMMARY_PDF_ROW_CAP else None,
        )
    )
    return f"completion-report-{_stamp()}.pdf"


def _write_activity(job, f, out) -> str:
    course = (
        Course.objects.select_related("quiz").prefetch_related("planners", "modules").get(pk=job.course_id)
    )
    participants = (
        Certificate.objects.filter(course=course)
        .defer("pdf")
        .prefetch_related("licenses")
        .order_by("completion_date")
    )
    progress = Progress(job.pk, participants.count())
    out.write(
        activity_file_pdf(
            course,
            evaluations=Evaluation.objects.filter(enrollment__course=course),
            participants=progress.counted(participants.iterator(chunk_size=2000)),
        )
    )
    return f"activity-file-{course.slug}.pdf"


WRITERS = {
    Kind.CSV: _write_csv,
    Kind.ROSTER: _write_roster,
    Kind.ZIP: _write_zip,
    Kind.SUMMARY: _write_summary,
    Kind.ACTIVITY: _write_activity,
}


@task()
def export_job_run(job_id: int) -> str:
    """Make the job's file. Runs once per job: a second run (a duplicate enqueue) finds it claimed.

    Side effects: the job row (status, total, done, file, times), a file in the exports storage; then
    expired jobs' files are deleted (export_jobs_expire).
    """
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now
    )
    if not claimed:
        return "not queued"
    job = ExportJob.objects.get(pk=job_id)
    try:
        with tempfile.TemporaryFile() as out:
            filename = WRITERS[job.kind](job, filter_from_dict(job.filters), out)
            out.seek(0)
            job.refresh_from_db(fields=["total"])
            job.file.save(filename, File(out), save=False)
    except Exception:
        logger.exception("Export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            error="The export could not be made. Ask for it again; if it fails again, tell the site's administrator.",
        )
        raise
    finished = timezone.now()
    job.status, job.done, job.filename = Status.READY, job.total, filename
    job.finished_at, job.expires_at = finished, finished + timedelta(days=settings.EXPORT_JOB_KEEP_DAYS)
    job.save(update_fields=["status", "done", "file", "filename", "finished_at", "expires_at"])
    export_jobs_expire(now=finished)
    return "ready"


def export_jobs_expire(*, now=None) -> int:
    """Delete the files of jobs past `expires_at` (the rows stay, marked expired), and mark jobs whose
    worker died (running longer than STALE_AFTER) failed. Returns how many files were deleted.

    Run after every export, and by `manage.py export_jobs_cleanup` (daily, for quiet sites).
    """
    now = now or timezone.now()
    deleted = 0
    for job in ExportJob.objects.filter(status=Status.READY, expires_at__lte=now):
        if job.file:
            job.file.delete(save=False)
        job.status = Status.EXPIRED
        job.save(update_fields=["status", "file"])
        deleted += 1
    ExportJob.objects.filter(status=Status.RUNNING, started_at__lte=now - STALE_AFTER).update(
        status=Status.FAILED,
        finished_at=now,
        error="The worker stopped while making this export. Ask for it again.",
    )
    return deleted
