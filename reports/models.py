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
