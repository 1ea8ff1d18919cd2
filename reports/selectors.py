"""Reads for the CE board: the filtered completions, their summary and chart series.

Every function runs a fixed number of queries whatever the number of rows: per-row figures
(best score, attempts used, time spent) are subqueries, and licenses are one prefetch.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from certificates.models import Certificate, CertificateLicense
from modules.models import Enrollment, ModuleProgress
from quizzes.models import Attempt
from reports.models import RosterEntry

# The board report flags a certificate whose attested minutes exceed the minutes tracked when the
# learner attested by more than this. Tracking sees only time on the module pages (not the post-test,
# the evaluation or a printout) and credits at most 15 minutes per gap, so a quarter of an hour over
# is ordinary; more asks a reviewer to look (README "Time spent and attested").
ATTESTED_OVER_TRACKED_MARGIN_MINUTES = 15


def attested_time_flagged(minutes_attested, minutes_tracked):
    """True when the attested time exceeds the tracked time by more than the margin."""
    if minutes_attested is None or minutes_tracked is None:
        return False
    return minutes_attested > minutes_tracked + ATTESTED_OVER_TRACKED_MARGIN_MINUTES


def _attempts():
    return Attempt.objects.filter(
        user=OuterRef("user"), quiz__course=OuterRef("course"), submitted_at__isnull=False
    )


def matching_certificates(f):
    """Certificates matching the filter, newest completion first, without the per-row figures.

    Cheap to count and to page through: the report pages over these ids, then annotates one page.
    """
    rows = Certificate.objects.defer("pdf").select_related("course")
    if f.course_id:
        rows = rows.filter(course_id=f.course_id)
    if f.completed_from:
        rows = rows.filter(completion_date__gte=f.completed_from)
    if f.completed_to:
        rows = rows.filter(completion_date__lte=f.completed_to)
    if f.state or f.profession:
        licenses = CertificateLicense.objects.filter(certificate=OuterRef("pk"))
        if f.state:
            licenses = licenses.filter(state=f.state)
        if f.profession:
            licenses = licenses.filter(profession=f.profession)
        rows = rows.filter(Exists(licenses))
    if f.status == "live":
        rows = rows.filter(revoked_at__isnull=True)
    elif f.status == "revoked":
        rows = rows.filter(revoked_at__isnull=False)
    if f.reported:
        reported = Exists(RosterEntry.objects.filter(license__certificate=OuterRef("pk")))
        rows = rows.filter(reported if f.reported == "yes" else ~reported)
    return rows.order_by("-completion_date", "-pk")


def annotate_figures(rows):
    """Add best_percent, attempts_used and seconds_spent (three subqueries per row), and the
    attestation's minutes_attested and minutes_tracked (a join)."""
    attempts = _attempts()
    return rows.annotate(
        minutes_attested=F("enrollment__attestation__minutes_attested"),
        minutes_tracked=F("enrollment__attestation__minutes_tracked"),
        best_percent=Subquery(
            attempts.order_by("-percent").values("percent")[:1], output_field=DecimalField()
        ),
        attempts_used=Coalesce(
            Subquery(
                attempts.values("user").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
            ),
            Value(0),
        ),
        seconds_spent=Coalesce(
            Subquery(
                ModuleProgress.objects.filter(enrollment=OuterRef("enrollment"))
                .values("enrollment")
                .annotate(total=Sum("seconds_spent"))
                .values("total")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    ).order_by("-completion_date", "-pk")


def completion_queryset(f):
    """Certificates matching the filter, annotated with best_percent, attempts_used and seconds_spent."""
    return annotate_figures(matching_certificates(f))


def completion_page_rows(page_ids):
    """The annotated rows of one page of certificate ids, in the page's order, licenses prefetched."""
    rows = annotate_figures(Certificate.objects.defer("pdf").select_related("course").filter(pk__in=page_ids))
    by_id = {row.pk: row for row in rows.prefetch_related("licenses")}
    for row in by_id.values():
        row.time_flagged = attested_time_flagged(row.minutes_attested, row.minutes_tracked)
    return [by_id[pk] for pk in page_ids if pk in by_id]


def completion_rows(f):
    """The filtered completions with their licenses prefetched (one query for all licenses of a page)."""
    return completion_queryset(f).prefetch_related("licenses")


@dataclass(frozen=True)
class CompletionSummary:
    enrolled: int
    completed: int
    attempted: int
    passed: int
    mean_score: Decimal | None
    mean_minutes: Decimal | None
    hours_awarded: Decimal

    @property
    def pass_rate(self):
        """Share of learners who took the post-test and passed it, in percent."""
        if not self.attempted:
            return None
        return (Decimal(self.passed) * 100 / self.attempted).quantize(Decimal("0.1"))


def best_scores(f):
    """Each filtered completion's best post-test percent: one grouped query, not a subquery per row."""
    completed = matching_certificates(f).filter(user=OuterRef("user"), course=OuterRef("quiz__course"))
    return list(
        Attempt.objects.filter(submitted_at__isnull=False)
        .filter(Exists(completed))
        .values("user", "quiz")
        .annotate(best=Max("percent"))
        .values_list("best", flat=True)
    )


def _mean(values):
    values = [Decimal(v) for v in values if v is not None]
    return sum(values, Decimal(0)) / len(values) if values else None


def completion_summary(f, *, scores=None):
    """The report's figures. Pass `scores` (best_scores(f)) when the caller already has them."""
    certificates = matching_certificates(f).order_by()
    figures = certificates.aggregate(
        completed=Count("pk"),
        hours=Coalesce(Sum("contact_hours", filter=Q(revoked_at__isnull=True)), Value(Decimal("0"))),
    )
    study_seconds = (
        ModuleProgress.objects.filter(enrollment__in=certificates.values("enrollment"))
        .values("enrollment")
        .annotate(total=Sum("seconds_spent"))
        .values_list("total", flat=True)
    )
    enrollments = Enrollment.objects.all()
    attempts = Attempt.objects.filter(submitted_at__isnull=False)
    if f.course_id:
        enrollments = enrollments.filter(course_id=f.course_id)
        attempts = attempts.filter(quiz__course_id=f.course_id)
    takers = attempts.values("user", "quiz").distinct()
    learners = attempts.values("user", "quiz").annotate(ever_passed=Count("pk", filter=Q(passed=True)))
    mean_score = _mean(best_scores(f) if scores is None else scores)
    mean_seconds = _mean(study_seconds)
    return CompletionSummary(
        enrolled=enrollments.count(),
        completed=figures["completed"],
        attempted=takers.count(),
        passed=learners.filter(ever_passed__gt=0).count(),
        mean_score=mean_score.quantize(Decimal("0.1")) if mean_score is not None else None,
        mean_minutes=(mean_seconds / 60).quantize(Decimal("0.1")) if mean_seconds is not None else None,
        hours_awarded=Decimal(figures["hours"]).quantize(Decimal("0.01")),
    )


def completions_per_month(f):
    """[(first day of month, count)] in date order."""
    rows = (
        matching_certificates(f)
        .order_by()
        .annotate(month=TruncMonth("completion_date"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    return [(row["month"], row["n"]) for row in rows]


SCORE_BINS = [(0, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 100), (100, 101)]


def score_distribution(f, *, scores=None):
    """[(label, count)] of the completions' best post-test percent, in bins of ten points."""
    scores = best_scores(f) if scores is None else scores
    labels = {0: "<50", 100: "100"}
    return [
        (labels.get(low, f"{low}-{high - 1}"), sum(1 for s in scores if s is not None and low <= s < high))
        for low, high in SCORE_BINS
    ]
