import tempfile
from functools import wraps

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from certificates.models import Certificate, Evaluation
from modules.models import Course
from quizzes.models import Quiz
from reports import charts, exports, selectors, services
from reports.access import board_or_author_required, board_required
from reports.activity_file import activity_file_pdf
from reports.filters import CompletionFilter, CompletionFilterForm
from reports.item_statistics import item_statistics as compute_item_statistics
from reports.jobs_views import queue_if_large
from reports.models import ExportJob, RosterBatch
from reports.pdf_summary import summary_pdf

SUMMARY_PDF_ROW_CAP = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter(request):
    """(form, CompletionFilter) from the query string. Invalid values fall back to the default filter."""
    form = CompletionFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, form.to_filter()


def _bad_filter(request, form):
    return render(request, "reports/bad_filter.html", {"form": form}, status=400)


def with_filter(view):
    """Parse the report filter from the query string; a filter that does not validate answers 400."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        form, f = _filter(request)
        if f is None:
            return _bad_filter(request, form)
        return view(request, form, f, *args, **kwargs)

    return wrapper


def _stamp():
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _attachment(response, filename):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@board_required
@require_safe
@with_filter
def completion_report(request, form, f):
    # Page over bare keys (an index range scan), then compute the per-row figures for this page only.
    try:
        page = selectors.completion_page(f, after=request.GET.get("after"), before=request.GET.get("before"))
    except ValueError:
        return render(request, "reports/bad_filter.html", {"form": form, "bad_page": True}, status=400)
    totals = selectors.board_totals(f)
    per_month = selectors.completions_per_month(f)
    scores = selectors.score_distribution(f, totals=totals)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    return render(
        request,
        "reports/completion_report.html",
        {
            "form": form,
            "page": page,
            "total": totals["completed"],
            "rows": selectors.completion_page_rows(page.ids),
            "summary": selectors.completion_summary(f, totals=totals),
            "completions_svg": charts.report_chart_svg(
                "months", tuple(per_month), title="Completions per month", slug="months"
            ),
            "completions_text": charts.chart_text_alternative(per_month, what="Completions per month"),
            "scores_svg": charts.report_chart_svg(
                "scores", tuple(scores), title="Post-test score distribution", slug="scores"
            ),
            "scores_text": charts.chart_text_alternative(scores, what="Best post-test scores"),
            "overdue": services.overdue_unreported(f),
            "unreported_lines": services.unreported_line_count(f),
            "batches": RosterBatch.objects.select_related("created_by").annotate(
                lines=Count("entries", filter=Q(entries__carried_from__isnull=True))
            )[:10],
            "quizzes": Quiz.objects.select_related("course").order_by("course__title"),
            "courses": Course.objects.order_by("title"),
            "query": query.urlencode(),
            "time_margin": selectors.ATTESTED_OVER_TRACKED_MARGIN_MINUTES,
        },
    )


@board_required
@require_safe
@with_filter
def export_csv(request, form, f):
    rows = selectors.matching_certificates(f).count()
    if queued := queue_if_large(request, kind=ExportJob.Kind.CSV, f=f, rows=rows):
        return queued
    services.download_record(user=request.user, export="completions.csv", f=f)
    response = StreamingHttpResponse(
        exports.completion_csv(selectors.completion_rows(f)), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, f"completions-{_stamp()}.csv")


@board_required
@require_safe
@with_filter
def export_roster(request, form, f):
    rows = services.unreported_line_count(f)
    if queued := queue_if_large(request, kind=ExportJob.Kind.ROSTER, f=f, rows=rows):
        return queued
    # Built in a temporary file, read back in blocks: memory stays flat however many lines.
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the response is sent
    lines = exports.roster_workbook_to(services.iter_roster_lines(f), out)
    services.download_record(user=request.user, export="roster.xlsx", f=f, row_count=lines)
    out.seek(0)
    return _attachment(FileResponse(out, content_type=XLSX), f"ce-broker-roster-{_stamp()}.xlsx")


@board_required
@require_POST
@with_filter
def roster_mark_reported(request, form, f):
    try:
        batch = services.roster_mark_reported(f=f, by=request.user)
    except services.RosterError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('reports')}?{request.GET.urlencode()}")
    # The file to upload is exactly the batch just recorded, so nothing is marked that was not sent.
    return redirect("roster_batch", batch_id=batch.pk)


@board_required
@require_safe
def roster_batch_download(request, batch_id):
    batch = get_object_or_404(RosterBatch, pk=batch_id)
    lines = services.batch_roster_lines(batch)
    services.download_record(
        user=request.user, export=f"roster-batch-{batch.pk}.xlsx", f=CompletionFilter(), row_count=len(lines)
    )
    return _attachment(
        HttpResponse(exports.roster_workbook(lines), content_type=XLSX), f"ce-broker-roster-{batch.pk}.xlsx"
    )


@board_required
@require_safe
@with_filter
def export_summary_pdf(request, form, f):
    rows = selectors.completion_rows(f)
    total = rows.count()
    if queued := queue_if_large(request, kind=ExportJob.Kind.SUMMARY, f=f, rows=total):
        return queued
    content = summary_pdf(
        filter_description=_describe(form),
        summary=selectors.completion_summary(f),
        per_month=selectors.completions_per_month(f),
        scores=selectors.score_distribution(f),
        rows=rows[:SUMMARY_PDF_ROW_CAP],
        truncated_total=total if total > SUMMARY_PDF_ROW_CAP else None,
    )
    services.download_record(user=request.user, export="summary.pdf", f=f, row_count=total)
    return _attachment(
        HttpResponse(content, content_type="application/pdf"), f"completion-report-{_stamp()}.pdf"
    )


@board_required
@require_safe
@with_filter
def export_zip(request, form, f):
    rows = selectors.matching_certificates(f).count()
    if queued := queue_if_large(request, kind=ExportJob.Kind.ZIP, f=f, rows=rows):
        return queued
    services.download_record(user=request.user, export="certificates.zip", f=f)
    response = StreamingHttpResponse(
        exports.certificates_zip(selectors.completion_queryset(f)), content_type="application/zip"
    )
    return _attachment(response, f"certificates-{_stamp()}.zip")


@board_required
@require_safe
def activity_file(request, slug):
    course = get_object_or_404(
        Course.objects.select_related("quiz").prefetch_related("planners", "modules"), slug=slug
    )
    rows = Certificate.objects.filter(course=course).count()
    if queued := queue_if_large(
        request, kind=ExportJob.Kind.ACTIVITY, f=CompletionFilter(), rows=rows, course=course
    ):
        return queued
    evaluations = Evaluation.objects.filter(enrollment__course=course)
    participants = (
        Certificate.objects.filter(course=course)
        .defer("pdf")
        .prefetch_related("licenses")
        .order_by("completion_date")
    )
    content = activity_file_pdf(course, evaluations=evaluations, participants=participants)
    services.download_record(
        user=request.user, export=f"activity-file-{course.slug}.pdf", f=CompletionFilter()
    )
    return _attachment(
        HttpResponse(content, content_type="application/pdf"), f"activity-file-{course.slug}.pdf"
    )


@board_or_author_required
@require_safe
def item_statistics(request, slug):
    quiz = Quiz.objects.filter(course__slug=slug).select_related("course").first()
    if quiz is None:
        raise Http404("No such post-test.")
    all_attempts = request.GET.get("attempts") == "all"
    return render(
        request,
        "reports/item_statistics.html",
        {
            "quiz": quiz,
            "all_attempts": all_attempts,
            "questions": compute_item_statistics(quiz, first_attempts_only=not all_attempts),
        },
    )


def _describe(form):
    """The filter as label/value pairs, for the PDF summary."""
    if not form.is_bound or not form.is_valid():
        return [("Filter", "All valid certificates")]
    pairs = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        pairs.append((field.label or name, str(value)))
    return pairs or [("Filter", "All valid certificates")]
