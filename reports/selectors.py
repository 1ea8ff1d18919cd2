"""Reads for the CE board: the filtered completions, their summary and chart series.

Every function runs a fixed number of queries whatever the number of rows: per-row figures
(best score, attempts used, time spent) are subqueries, and licenses are one prefetch.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from certificates.models import Certificate, CertificateLicense
from modules.models import ModuleProgress
from quizzes.models import Attempt
from reports.models import CompletionFigures, CompletionStats, LearnerCounts, RosterEntry

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


PAGE_SIZE = 50


@dataclass(frozen=True)
class CompletionPage:
    """One page of certificate ids, newest completion first, and the keys that lead on from it."""

    ids: list
    newer_key: str | None  # link to the page before (newer rows), if any
    older_key: str | None  # link to the page after (older rows), if any


def page_key(completion_date, pk):
    return f"{completion_date.isoformat()}.{pk}"


def parse_page_key(value):
    """(date, id) from page_key's text; ValueError when it is not one."""
    day, _, pk = (value or "").partition(".")
    if not pk.isdigit():
        raise ValueError("not a page key")
    return date.fromisoformat(day), int(pk)


def completion_page(f, *, after=None, before=None, size=None):
    """The page of ids older than `after` or newer than `before` (page keys), or the newest page.

    Keyset pagination on (completion date, id), never OFFSET: a deep page costs what the first
    does (an index range scan of `size` rows), and a certificate issued between two clicks cannot
    shift a row onto the next page twice or off it unseen.
    """
    size = size or PAGE_SIZE
    keys = matching_certificates(f).values_list("completion_date", "pk")
    if before:
        day, pk = parse_page_key(before)
        newer = keys.filter(Q(completion_date__gt=day) | Q(completion_date=day, pk__gt=pk))
        rows = list(newer.order_by("completion_date", "pk")[: size + 1])
        has_newer, has_older = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if after:
            day, pk = parse_page_key(after)
            keys = keys.filter(Q(completion_date__lt=day) | Q(completion_date=day, pk__lt=pk))
        rows = list(keys[: size + 1])
        has_newer, has_older = bool(after), len(rows) > size
        rows = rows[:size]
    return CompletionPage(
        ids=[pk for _, pk in rows],
        newer_key=page_key(*rows[0]) if rows and has_newer else None,
        older_key=page_key(*rows[-1]) if rows and has_older else None,
    )


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


def _stats_rows(f):
    """The CompletionStats rows that add up to the filter (all but its CE Broker "reported" part):
    one kind of row per state and profession filter (see CompletionStats), a range of days."""
    rows = CompletionStats.objects.filter(
        state=f.state or CompletionStats.ANY, profession=f.profession or CompletionStats.ANY
    )
    if f.status == "live":
        rows = rows.filter(is_live=True)
    elif f.status == "revoked":
        rows = rows.filter(is_live=False)
    if f.completed_from:
        rows = rows.filter(day__gte=f.completed_from)
    if f.completed_to:
        rows = rows.filter(day__lte=f.completed_to)
    if f.course_id:
        rows = rows.filter(course_id=f.course_id)
    return rows


def _figures_rows(f):
    """The stored figures of the certificates matching `f` (for the edges of a date range)."""
    return CompletionFigures.objects.filter(certificate__in=matching_certificates(f).order_by().values("pk"))


def _figures_totals(rows):
    bins = {
        column: Count("pk", filter=Q(best_percent__gte=low, best_percent__lt=high))
        for (low, high), column in zip(SCORE_BINS, BIN_FIELDS, strict=True)
    }
    return rows.aggregate(
        completed=Count("pk"),
        hours=Coalesce(Sum("hours", filter=Q(certificate__revoked_at__isnull=True)), Value(Decimal(0))),
        scored=Count("best_percent"),
        percent_total=Coalesce(Sum("best_percent"), Value(Decimal(0))),
        seconds_total=Coalesce(Sum("seconds_spent"), Value(0)),
        **bins,
    )


TOTAL_FIELDS = ("completed", "hours", "scored", "percent_total", "seconds_total")


def board_totals(f):
    """{completed, hours, scored, percent_total, seconds_total, bin_*}: the filter's certificates added up.

    From the running totals (reports.summary): one small range of rows per day whatever the number
    of certificates. The CE Broker "reported" filter is not part of the totals: with it, everything
    comes from the certificates' stored figures (exact, but it reads every matching row).
    """
    totals = dict.fromkeys((*TOTAL_FIELDS, *BIN_FIELDS), 0)
    if f.reported:
        figures = _figures_totals(_figures_rows(f))
    else:
        figures = _stats_rows(f).aggregate(**{name: Sum(name) for name in totals})
    for name in totals:
        totals[name] += figures[name] or 0
    return totals


def completion_count(f):
    """How many certificates match the filter: the same number as matching_certificates(f).count()."""
    return board_totals(f)["completed"]


def completion_summary(f, *, totals=None):
    """The report's figures. Pass `totals` (board_totals(f)) when the caller already has them.

    Completed, hours, mean score and mean time add up the running totals (board_totals). The mean
    score is over the certificates' best post-test percent, the mean time over each certificate's
    tracked study time when it was issued. Enrolled, took the post-test and passed count learners
    of the course filter only (they have no certificate to filter by).
    """
    totals = board_totals(f) if totals is None else totals
    learners = LearnerCounts.objects.all()
    if f.course_id:
        learners = learners.filter(course_id=f.course_id)
    counts = learners.aggregate(
        **{name: Coalesce(Sum(name), Value(0)) for name in ("enrolled", "attempted", "passed")}
    )
    mean_score = Decimal(totals["percent_total"]) / totals["scored"] if totals["scored"] else None
    mean_seconds = Decimal(totals["seconds_total"]) / totals["completed"] if totals["completed"] else None
    return CompletionSummary(
        enrolled=counts["enrolled"],
        completed=totals["completed"],
        attempted=counts["attempted"],
        passed=counts["passed"],
        mean_score=mean_score.quantize(Decimal("0.1")) if mean_score is not None else None,
        mean_minutes=(mean_seconds / 60).quantize(Decimal("0.1")) if mean_seconds is not None else None,
        hours_awarded=Decimal(totals["hours"]).quantize(Decimal("0.01")),
    )


def completions_per_month(f):
    """[(first day of month, count)] in date order."""
    if f.reported:
        counts = _figures_rows(f).values("month").annotate(n=Count("pk")).values_list("month", "n")
    else:
        counts = (
            _stats_rows(f)
            .annotate(month=TruncMonth("day"))
            .values("month")
            .annotate(n=Sum("completed"))
            .values_list("month", "n")
        )
    return [(month, n) for month, n in sorted(counts) if n]


SCORE_BINS = [(0, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 100), (100, 101)]
BIN_FIELDS = ("bin_0", "bin_50", "bin_60", "bin_70", "bin_80", "bin_90", "bin_100")  # CompletionStats


def score_distribution(f, *, totals=None):
    """[(label, count)] of the completions' best post-test percent, in bins of ten points."""
    totals = board_totals(f) if totals is None else totals
    labels = {0: "<50", 100: "100"}
    return [
        (labels.get(low, f"{low}-{high - 1}"), totals[column])
        for (low, high), column in zip(SCORE_BINS, BIN_FIELDS, strict=True)
    ]
