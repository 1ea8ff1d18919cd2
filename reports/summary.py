"""The board's running totals (CompletionStats), kept in the same transaction as every certificate change.

certificates.services calls `certificate_issued` when it creates a certificate (an issue or a
re-issue) and `certificate_revoked` when it revokes one, inside their transactions: a total is
never stale and never counts a certificate whose transaction rolled back. Each certificate's own
contribution is stored (CompletionFigures) so that a revocation moves exactly what was added from
the "live" row to the "revoked" row.

Totals are added with one INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike): two
transactions changing the same row wait for each other's row lock instead of losing an update.
"""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Max, Sum

from certificates.models import Certificate, CertificateLicense
from modules.models import Enrollment, ModuleProgress
from quizzes.models import Attempt
from reports.models import CompletionFigures, CompletionStats, LearnerCounts, UnreportedLines

# (lowest best percent, column): reports.selectors.SCORE_BINS, one column per bin.
BIN_COLUMNS = ((100, "bin_100"), (90, "bin_90"), (80, "bin_80"), (70, "bin_70"), (60, "bin_60"))
BIN_COLUMNS += ((50, "bin_50"), (0, "bin_0"))
TOTALS = ("completed", "hours", "scored", "percent_total", "seconds_total", *(c for _, c in BIN_COLUMNS))
KEY = ("state", "profession", "is_live", "day", "course_id")  # CompletionStats' unique key, in its order
ANY = CompletionStats.ANY
REBUILD_CHUNK = 5000
# What figures_for and certificates_added read of a certificate.
CERTIFICATE_COLUMNS = (
    "user_id",
    "course_id",
    "enrollment_id",
    "completion_date",
    "contact_hours",
    "revoked_at",
)


def bin_column(percent):
    if percent is None:
        return None
    return next(column for low, column in BIN_COLUMNS if percent >= low)


def stats_kinds(pairs):
    """The (state, profession) kinds of CompletionStats row a certificate with license `pairs` counts in:
    any/any, each of its states, each of its professions, each of its pairs; each once."""
    pairs = set(pairs)
    return sorted(
        {(ANY, ANY)}
        | {(state, ANY) for state, _ in pairs}
        | {(ANY, profession) for _, profession in pairs}
        | pairs
    )


def license_pairs(certificate_ids):
    """{certificate id: {(state, profession)}} of the certificates' licenses (frozen at issue)."""
    pairs = defaultdict(set)
    for certificate_id, state, profession in CertificateLicense.objects.filter(
        certificate_id__in=certificate_ids
    ).values_list("certificate_id", "state", "profession"):
        pairs[certificate_id].add((state, profession))
    return pairs


def figures_for(certificates):
    """Unsaved CompletionFigures for `certificates` (Certificate rows): two queries in all."""
    certificates = list(certificates)
    if not certificates:
        return []
    best = {
        (row["user_id"], row["quiz__course_id"]): row["best"]
        for row in Attempt.objects.filter(
            user_id__in={c.user_id for c in certificates}, submitted_at__isnull=False
        )
        .values("user_id", "quiz__course_id")
        .annotate(best=Max("percent"))
    }
    seconds = dict(
        ModuleProgress.objects.filter(enrollment_id__in={c.enrollment_id for c in certificates})
        .values("enrollment_id")
        .annotate(total=Sum("seconds_spent"))
        .values_list("enrollment_id", "total")
    )
    return [
        CompletionFigures(
            certificate_id=c.pk,
            course_id=c.course_id,
            month=c.completion_date.replace(day=1),
            hours=c.contact_hours,
            best_percent=best.get((c.user_id, c.course_id)),
            seconds_spent=seconds.get(c.enrollment_id) or 0,
        )
        for c in certificates
    ]


def _totals(figures, is_live, sign):
    column = bin_column(figures.best_percent)
    return {
        "completed": sign,
        # Hours count only while the certificate is live, as on the board ("hours awarded").
        "hours": sign * figures.hours if is_live else Decimal(0),
        "scored": sign if column else 0,
        "percent_total": sign * figures.best_percent if column else Decimal(0),
        "seconds_total": sign * figures.seconds_spent,
        **{name: (sign if name == column else 0) for _, name in BIN_COLUMNS},
    }


def _apply(changes):
    """Add `changes` [(figures, day, license pairs, is_live, +1 or -1)] to CompletionStats in one upsert.

    Rows go in key order, so two transactions touching the same rows lock them in the same order
    and cannot deadlock.
    """
    merged = {}
    for figures, day, pairs, is_live, sign in changes:
        totals = _totals(figures, is_live, sign)
        for state, profession in stats_kinds(pairs):
            key = (state, profession, is_live, day, figures.course_id)
            if key in merged:
                merged[key] = {name: merged[key][name] + totals[name] for name in TOTALS}
            else:
                merged[key] = totals
    # A total that goes down (a revocation) was added before: an UPDATE of its row. The CHECK that no
    # count is negative is tested on the row an upsert proposes, before the conflict, so only totals
    # that go up take the upsert.
    for key in sorted(merged):
        totals = merged[key]
        if totals["completed"] < 0:
            updated = CompletionStats.objects.filter(**dict(zip(KEY, key, strict=True))).update(
                **{name: F(name) + totals[name] for name in TOTALS}
            )
            if updated != 1:
                raise RuntimeError(f"No running total to subtract a certificate from: {key}")
    rising = {key: totals for key, totals in merged.items() if totals["completed"] >= 0}
    if rising:
        _upsert(CompletionStats, KEY, TOTALS, rising)


def _db_value(value):
    if isinstance(value, Decimal):
        return connection.ops.adapt_decimalfield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _upsert(model, key_columns, totals_columns, merged):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET total = total + excluded.total, rows in key order."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    KEY, TOTALS = key_columns, totals_columns
    columns = (*KEY, *TOTALS)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = []
    for key in sorted(merged):
        params += [_db_value(value) for value in key]
        params += [_db_value(merged[key][name]) for name in TOTALS]
    updates = ", ".join(f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in TOTALS)
    # Only quoted model names and placeholders are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(merged))} "
        f"ON CONFLICT ({', '.join(quote(c) for c in KEY)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


LEARNER_TOTALS = ("enrolled", "attempted", "passed")


def learners_counted(course_id, *, enrolled=0, attempted=0, passed=0):
    """Add to the course's LearnerCounts (created at zero the first time)."""
    if enrolled or attempted or passed:
        counts = {"enrolled": enrolled, "attempted": attempted, "passed": passed}
        _upsert(LearnerCounts, ("course_id",), LEARNER_TOTALS, {(course_id,): counts})


def enrollment_created(enrollment):
    """Call in the transaction that created `enrollment`."""
    learners_counted(enrollment.course_id, enrolled=1)


def attempt_graded(attempt):
    """Call in the transaction that graded `attempt`: the learner's first submitted attempt makes
    them one more who took the post-test, their first pass one more who passed."""
    earlier = Attempt.objects.filter(
        user_id=attempt.user_id, quiz_id=attempt.quiz_id, submitted_at__isnull=False
    ).exclude(pk=attempt.pk)
    first_pass = bool(attempt.passed) and not earlier.filter(passed=True).exists()
    learners_counted(
        attempt.quiz.course_id, attempted=0 if earlier.exists() else 1, passed=1 if first_pass else 0
    )


LINE_KEY = ("state", "profession", "day", "course_id")  # UnreportedLines' unique key, in its order


def lines_changed(lines, sign):
    """Add `sign` (+1 or -1) to UnreportedLines for each of `lines`: (course id, completion date,
    state, profession) tuples, each in its four kinds of row (see UnreportedLines). Rows in key
    order, as _apply."""
    counts = Counter(
        (kind_state, kind_profession, day, course_id)
        for course_id, day, state, profession in lines
        for kind_state in (state, ANY)
        for kind_profession in (profession, ANY)
    )
    if not counts:
        return
    if sign > 0:
        _upsert(UnreportedLines, LINE_KEY, ("lines",), {key: {"lines": n} for key, n in counts.items()})
        return
    for key in sorted(counts):
        updated = UnreportedLines.objects.filter(**dict(zip(LINE_KEY, key, strict=True))).update(
            lines=F("lines") - counts[key]
        )
        if updated != 1:
            raise RuntimeError(f"No unreported-line count to subtract from: {key}")


def _line_keys(licenses):
    return licenses.values_list(
        "certificate__course_id", "certificate__completion_date", "state", "profession"
    )


def lines_reported(license_ids):
    """Call in the transaction that records RosterEntry rows for these license lines (of live certificates)."""
    ids = list(license_ids)
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        lines_changed(_line_keys(CertificateLicense.objects.filter(pk__in=chunk)), -1)


def certificates_added(certificates):
    """Count new certificates (live or already revoked, as they stand): store their figures, add them."""
    certificates = list(certificates)
    figures = figures_for(certificates)
    CompletionFigures.objects.bulk_create(figures, batch_size=2000)
    live = {c.pk: c.revoked_at is None for c in certificates}
    days = {c.pk: c.completion_date for c in certificates}
    pairs = license_pairs(list(live))
    _apply((f, days[f.certificate_id], pairs[f.certificate_id], live[f.certificate_id], 1) for f in figures)
    live_ids = [pk for pk, is_live in live.items() if is_live]
    unreported = CertificateLicense.objects.filter(certificate_id__in=live_ids, roster_entry__isnull=True)
    lines_changed(_line_keys(unreported), 1)


def certificate_issued(certificate):
    """Call inside the transaction that created `certificate` (after its licenses)."""
    certificates_added([certificate])


def certificate_revoked(certificate):
    """Call inside the transaction that revoked `certificate`: its figures move from live to revoked."""
    figures = CompletionFigures.objects.filter(certificate_id=certificate.pk).first()
    if figures is None:  # counted by no total yet (created before the totals existed): count it now
        certificates_added([certificate])
        return
    day, pairs = certificate.completion_date, license_pairs([certificate.pk])[certificate.pk]
    _apply([(figures, day, pairs, True, -1), (figures, day, pairs, False, 1)])
    unreported = CertificateLicense.objects.filter(certificate_id=certificate.pk, roster_entry__isnull=True)
    lines_changed(_line_keys(unreported), -1)


# recount_totals' SQL: the same sums as _totals, grouped by CompletionStats' key. Each certificate's
# kinds of row (stats_kinds) come from a UNION, which drops the duplicates as a set does.
_BIN_SQL = ", ".join(
    f"SUM(CASE WHEN f.best_percent >= {low}{f' AND f.best_percent < {high}' if high else ''} THEN 1 ELSE 0 END)"
    for (low, _), (high, _) in zip(BIN_COLUMNS[::-1], (*BIN_COLUMNS[::-1][1:], (None, None)), strict=True)
)
RECOUNT_STATS_SQL = f"""
INSERT INTO reports_completionstats (state, profession, is_live, day, course_id, completed, hours, scored,
    percent_total, seconds_total, {", ".join(name for _, name in BIN_COLUMNS[::-1])})
SELECT k.state, k.profession, c.revoked_at IS NULL, c.completion_date, f.course_id, COUNT(*),
    SUM(CASE WHEN c.revoked_at IS NULL THEN f.hours ELSE 0 END), COUNT(f.best_percent),
    COALESCE(SUM(f.best_percent), 0), SUM(f.seconds_spent), {_BIN_SQL}
FROM (
    SELECT certificate_id, '' AS state, '' AS profession FROM reports_completionfigures
    UNION SELECT certificate_id, state, '' FROM certificates_certificatelicense
    UNION SELECT certificate_id, '', profession FROM certificates_certificatelicense
    UNION SELECT certificate_id, state, profession FROM certificates_certificatelicense
) k
JOIN reports_completionfigures f ON f.certificate_id = k.certificate_id
JOIN certificates_certificate c ON c.id = f.certificate_id
GROUP BY k.state, k.profession, c.revoked_at IS NULL, c.completion_date, f.course_id
"""  # noqa: S608 - only this module's constant column names and thresholds are formatted in
RECOUNT_LINES_SQL = """
INSERT INTO reports_unreportedlines (state, profession, day, course_id, lines)
SELECT CASE WHEN kind.by_state = 1 THEN l.state ELSE '' END,
    CASE WHEN kind.by_profession = 1 THEN l.profession ELSE '' END, c.completion_date, c.course_id, COUNT(*)
FROM certificates_certificatelicense l
JOIN certificates_certificate c ON c.id = l.certificate_id
JOIN reports_completionfigures f ON f.certificate_id = c.id
CROSS JOIN (
    SELECT 1 AS by_state, 1 AS by_profession UNION ALL SELECT 1, 0 UNION ALL SELECT 0, 1 UNION ALL SELECT 0, 0
) kind
WHERE c.revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM reports_rosterentry r WHERE r.license_id = l.id)
GROUP BY 1, 2, 3, 4
"""


@transaction.atomic
def recount_totals():
    """Recompute CompletionStats and UnreportedLines from the stored CompletionFigures (not the
    figures themselves), in two INSERT ... SELECT: after a change of the totals' layout, where
    going through _apply certificate by certificate took over 20 minutes at a million.
    Tests check that it gives what the running updates give. Returns the certificates counted."""
    CompletionStats.objects.all().delete()
    UnreportedLines.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT_STATS_SQL)
        cursor.execute(RECOUNT_LINES_SQL)
    return CompletionFigures.objects.count()


@transaction.atomic
def rebuild():
    """Recompute every total from the certificates (after a bulk load, or to check the running ones).

    Returns the number of certificates counted.
    """
    CompletionStats.objects.all().delete()
    CompletionFigures.objects.all().delete()
    UnreportedLines.objects.all().delete()
    LearnerCounts.objects.all().delete()
    submitted = Attempt.objects.filter(submitted_at__isnull=False)
    for course_id, n in Enrollment.objects.values_list("course_id").annotate(n=Count("pk")):
        learners_counted(course_id, enrolled=n)
    for course_id, n in submitted.values_list("quiz__course_id").annotate(n=Count("user_id", distinct=True)):
        learners_counted(course_id, attempted=n)
    passed = submitted.filter(passed=True)
    for course_id, n in passed.values_list("quiz__course_id").annotate(n=Count("user_id", distinct=True)):
        learners_counted(course_id, passed=n)
    ids = list(Certificate.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        certificates_added(
            Certificate.objects.filter(pk__range=(chunk[0], chunk[-1])).only(*CERTIFICATE_COLUMNS)
        )
    return len(ids)
