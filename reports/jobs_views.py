"""The reviewer's background exports: "My exports", a job's progress page, and its download."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from reports import jobs
from reports.access import board_required

# The progress page reloads itself this often while the job waits or runs (no JavaScript needed).
REFRESH_SECONDS = 5
# A page that reloads itself is a WCAG 2.2.1 concern (axe's meta-refresh rule, failure F41): a
# screen reader starts the page again at each reload. So the reviewer can turn it off, first thing on
# the page, and the choice is kept in her session for every later export page.
REFRESH_SESSION_KEY = "export_page_refresh"


def queue_if_large(request, *, kind, f, rows, course=None):
    """For an export view: when `rows` exceeds EXPORT_JOB_ROWS (or the reviewer asked with
    ?background=1), create a job and return the redirect to its page; otherwise None."""
    if rows <= settings.EXPORT_JOB_ROWS and request.GET.get("background") != "1":
        return None
    job = jobs.export_job_create(user=request.user, kind=kind, f=f, course=course)
    return redirect("export_job", job_id=job.pk)


@board_required
@require_safe
def export_job_list(request):
    return render(
        request,
        "reports/jobs_list.html",
        {"jobs": jobs.jobs_of(request.user), "keep_days": settings.EXPORT_JOB_KEEP_DAYS},
    )


@board_required
@require_safe
def export_job_detail(request, job_id):
    job = jobs.job_for_user(request.user, job_id)
    if job is None:
        raise Http404("No such export.")
    choice = request.GET.get("refresh")
    if choice in ("on", "off"):
        request.session[REFRESH_SESSION_KEY] = choice == "on"
    refresh = request.session.get(REFRESH_SESSION_KEY, True)
    return render(
        request,
        "reports/jobs_detail.html",
        {
            "job": job,
            "refresh": refresh,
            "refresh_seconds": REFRESH_SECONDS if job.in_progress and refresh else None,
            "keep_days": settings.EXPORT_JOB_KEEP_DAYS,
        },
    )


@board_required
@require_safe
def export_job_download(request, job_id):
    job = jobs.job_for_user(request.user, job_id)
    if job is None or job.status != job.Status.READY or not job.file:
        raise Http404("No such export, or its file is not ready or has expired.")
    jobs.job_download_record(user=request.user, job=job)
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
    response["Cache-Control"] = "private, no-store"
    return response
