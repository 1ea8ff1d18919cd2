from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q


def exports_storage():
    """STORAGES["exports"], read when a file is saved (a callable keeps it out of the migration)."""
    return storages["exports"]


class ReportDownload(models.Model):
    """Every export a reviewer downloads: who, when, which export and which filter (an audit trail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_downloads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    export = models.CharField(max_length=40)
    filters = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.export} by {self.user} at {self.created_at:%Y-%m-%d %H:%M}"


class RosterBatch(models.Model):
    """A CE Broker roster marked as reported. Its licenses are left out of every later roster."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "roster batches"

    def __str__(self):
        return f"Roster {self.pk} ({self.created_at:%Y-%m-%d})"


class RosterEntry(models.Model):
    """One reported license line. A license of a certificate is reported once, ever (unique).

    Most entries are lines sent in the batch's file. An entry with `carried_from` was not sent: it is
    the line of a re-issued certificate that repeats, in everything CE Broker was sent, a line the
    batch reported for the certificate it replaces; recording it keeps it out of every later roster.
    """

    batch = models.ForeignKey(RosterBatch, on_delete=models.PROTECT, related_name="entries")
    license = models.OneToOneField(
        "certificates.CertificateLicense", on_delete=models.PROTECT, related_name="roster_entry"
    )
    carried_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to"
    )

    class Meta:
        verbose_name_plural = "roster entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(carried_from__isnull=True) | ~Q(carried_from=F("pk")),
                name="rosterentry_not_carried_from_itself",
            ),
        ]

    def __str__(self):
        return f"{self.license} in {self.batch}"


class CompletionFigures(models.Model):
    """What one certificate adds to the board's summary (CompletionStats), kept beside it.

    Written when the certificate is issued and read back when it is revoked, so a revocation
    subtracts exactly what the issue added, even if the learner's tracked time changed since.
    The license states and professions it counts under are read from its licenses when needed.
    """

    certificate = models.OneToOneField(
        "certificates.Certificate", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    course = models.ForeignKey("modules.Course", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the completion date's month.")
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    best_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    seconds_spent = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "completion figures"

    def __str__(self):
        return f"Figures of certificate {self.certificate_id}"


class CompletionStats(models.Model):
    """Running totals of certificates per course, completion day, status, license state and profession.

    The board's counts, hours, means and charts add these rows up instead of reading every
    certificate. A certificate counts once in the row of state "" and profession "" (any), once in
    each of its license states' rows (profession ""), once in each of its professions' rows (state
    ""), and once in each (state, profession) of its licenses: so each filter of the board reads
    exactly one kind of row, and a certificate with two licenses in one state counts once there.
    Per day, so a date range is a range of rows, never a scan of certificates.

    Kept up to date in the same transaction as certificate_issue, certificate_revoke and
    certificate_reissue (reports.summary), so they are never stale; `manage.py
    rebuild_completion_stats` recomputes them from the certificates. Score bins follow
    reports.selectors.SCORE_BINS.
    """

    ANY = ""  # the state or profession of the rows that count every certificate

    course = models.ForeignKey("modules.Course", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    is_live = models.BooleanField()
    state = models.CharField(max_length=2, blank=True)
    profession = models.CharField(max_length=4, blank=True)
    completed = models.IntegerField(default=0)
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    scored = models.IntegerField(default=0)  # certificates with a best post-test percent
    percent_total = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    seconds_total = models.BigIntegerField(default=0)
    bin_0 = models.IntegerField(default=0)  # best percent under 50
    bin_50 = models.IntegerField(default=0)
    bin_60 = models.IntegerField(default=0)
    bin_70 = models.IntegerField(default=0)
    bin_80 = models.IntegerField(default=0)
    bin_90 = models.IntegerField(default=0)
    bin_100 = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "completion stats"
        constraints = [
            # In the order the board reads: one (state, profession) kind, live or not, a range of days.
            models.UniqueConstraint(
                fields=["state", "profession", "is_live", "day", "course"], name="completionstats_key"
            ),
            models.CheckConstraint(condition=Q(completed__gte=0), name="completionstats_not_negative"),
        ]

    def __str__(self):
        status = "live" if self.is_live else "revoked"
        return f"{self.completed} {status} in course {self.course_id}, {self.day}, {self.state}/{self.profession}"


class UnreportedLines(models.Model):
    """How many license lines of live certificates CE Broker has not been sent, per course,
    completion day, state and profession: the report page's roster counts, without reading
    every line.

    A line is one license on one certificate. Like CompletionStats, each line counts in four rows:
    its state and profession, its state and any profession (""), any state and its profession, any
    state and any profession, so each filter reads one kind of row over a range of days. Kept in the same
    transaction as what changes it (reports.summary): a certificate issued (+ its lines), revoked
    (- its unreported lines), a roster marked as reported (- its lines), a line carried into a
    roster by a re-issue (-1).
    """

    ANY = ""  # the state or profession of the rows that count every line

    course = models.ForeignKey("modules.Course", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    state = models.CharField(max_length=2, blank=True)
    profession = models.CharField(max_length=4, blank=True)
    lines = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "unreported lines"
        constraints = [
            models.UniqueConstraint(
                fields=["state", "profession", "day", "course"], name="unreportedlines_key"
            ),
            models.CheckConstraint(condition=Q(lines__gte=0), name="unreportedlines_not_negative"),
        ]

    def __str__(self):
        return f"{self.lines} unreported {self.profession} {self.state} lines, course {self.course_id}, {self.day}"


class LearnerCounts(models.Model):
    """Per course: learners enrolled, who submitted the post-test, and who passed it at least once.

    The report summary's first three figures, without counting a million enrolments and attempts
    on every page. Kept in the same transaction as the enrolment (modules.services) and the graded
    attempt (quizzes.services) by reports.summary.
    """

    course = models.OneToOneField("modules.Course", on_delete=models.CASCADE, related_name="+")
    enrolled = models.IntegerField(default=0)
    attempted = models.IntegerField(default=0)
    passed = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "learner counts"

    def __str__(self):
        return f"Course {self.course_id}: {self.enrolled} enrolled, {self.attempted} took the post-test"


class ExportJob(models.Model):
    """An export made by the background worker because it is large (reports/jobs.py).

    Its owner watches `done` of `total` on the job's page, then downloads `file`, which is kept
    until `expires_at` and then deleted (the row stays, as a record that the export was made).
    """

    class Kind(models.TextChoices):
        CSV = "completions.csv", "Completions (CSV)"
        ROSTER = "roster.xlsx", "CE Broker roster"
        ZIP = "certificates.zip", "Certificate PDFs (ZIP)"
        SUMMARY = "summary.pdf", "Completion report (PDF)"
        ACTIVITY = "activity-file.pdf", "Activity file (PDF)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired (file deleted)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    filters = models.JSONField(default=dict)
    # The activity file is per course; the other kinds read the course from `filters`.
    course = models.ForeignKey(
        "modules.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Private storage, never the images' (settings.STORAGES): the files hold learners' personal data.
    file = models.FileField(upload_to="exports/%Y/%m/", storage=exports_storage, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="exportjob_done_within_total"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user} ({self.status})"

    @property
    def percent(self):
        return (
            100 if self.status == self.Status.READY else (self.done * 100 // self.total if self.total else 0)
        )

    @property
    def in_progress(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
