from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Evaluation(models.Model):
    """The learner's evaluation of the activity, required before a certificate (ANCC). Submitted once.

    `objective_ratings` freezes each objective's text beside its rating (1-5), so a later edit of
    the objectives does not change what the learner rated.
    """

    enrollment = models.OneToOneField(
        "modules.Enrollment", on_delete=models.PROTECT, related_name="evaluation"
    )
    objective_ratings = models.JSONField(help_text='[{"objective": "...", "rating": 1-5}, ...]')
    evidence_based = models.BooleanField("the content was evidence-based")
    free_of_bias = models.BooleanField("the content was free of commercial bias")
    bias_comment = models.TextField(blank=True)
    intended_change = models.TextField("what I intend to change in my practice")
    comments = models.TextField(blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(evidence_based=True) & Q(free_of_bias=True)) | ~Q(bias_comment=""),
                name="evaluation_comment_when_not_evidence_based_or_biased",
            ),
        ]

    def __str__(self):
        return f"Evaluation of {self.enrollment}"


class Attestation(models.Model):
    """ "I completed this activity": the minutes the learner attests, beside the minutes tracked."""

    enrollment = models.OneToOneField(
        "modules.Enrollment", on_delete=models.PROTECT, related_name="attestation"
    )
    minutes_attested = models.PositiveIntegerField()
    minutes_tracked = models.PositiveIntegerField()
    attested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_attested__gte=1) & Q(minutes_attested__lte=24 * 60),
                name="attestation_minutes_range",
            ),
        ]

    def __str__(self):
        return f"Attestation of {self.enrollment}"


class Certificate(models.Model):
    """A contact-hour certificate. Everything printed is copied here at issue, with the PDF itself.

    Never deleted (records are kept at least six years): a correction revokes this one and issues
    a new one that `replaces` it; both stay visible to the board.
    """

    serial = models.CharField(max_length=20, unique=True)
    verification_code = models.CharField(max_length=16, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey("modules.Course", on_delete=models.PROTECT, related_name="certificates")
    enrollment = models.ForeignKey(
        "modules.Enrollment", on_delete=models.PROTECT, related_name="certificates"
    )

    learner_name = models.CharField(max_length=310)
    learner_credentials = models.CharField(max_length=100, blank=True)
    course_title = models.CharField(max_length=200)
    provider_name = models.CharField(max_length=200)
    provider_address = models.CharField(max_length=300, blank=True)
    provider_web_address = models.CharField(max_length=200, blank=True)
    provider_approval_number = models.CharField(max_length=60, blank=True)
    accreditation_statement = models.TextField()
    joint_providership_statement = models.TextField(blank=True, default="")
    # The stored file of the provider's signature image at issue: hash-named and never overwritten
    # (modules.services.image_file_store), so a re-render prints the signature of the day of issue.
    nurse_planner_signature_file = models.CharField(max_length=255, blank=True, default="")
    contact_hours = models.DecimalField(max_digits=5, decimal_places=2)
    completion_date = models.DateField()
    nurse_planner_name = models.CharField(max_length=200, blank=True)
    nurse_planner_credentials = models.CharField(max_length=100, blank=True)

    pdf = models.BinaryField(editable=False)
    # Indexed: the public "check a PDF" page looks a certificate up by its file's hash.
    pdf_sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    # The kid (certificates.signing_keys) of the key that signed the PDF; "" for PDFs stored unsigned
    # (certificates issued before PDFs were signed, and seeded samples).
    signing_kid = models.CharField(max_length=40, blank=True, editable=False)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            # A double click or two racing requests issue one live certificate, never two.
            models.UniqueConstraint(
                fields=["user", "course"], condition=Q(revoked_at__isnull=True), name="certificate_one_live"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certificate_revoked_has_reason",
            ),
            models.CheckConstraint(condition=Q(contact_hours__gt=0), name="certificate_hours_positive"),
        ]

    def __str__(self):
        return self.serial

    @property
    def is_live(self):
        return self.revoked_at is None


class CertificateLicense(models.Model):
    """A license printed on a certificate, frozen at issue. The CE Broker roster reports one row per license."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="licenses")
    position = models.PositiveSmallIntegerField()
    profession = models.CharField(max_length=4)
    state = models.CharField(max_length=2)
    number = models.CharField(max_length=40)
    # On a re-issued certificate: the line of the replaced certificate this one carries forward (same
    # state and profession). The CE Broker roster reads it to send a line once, or again as a correction.
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )

    class Meta:
        ordering = ["certificate", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(corrects=F("pk")),
                name="certlicense_not_self_correcting",
            ),
            models.UniqueConstraint(fields=["certificate", "position"], name="certlicense_unique_position"),
            models.UniqueConstraint(
                fields=["certificate", "state", "profession", "number"], name="certlicense_unique_license"
            ),
        ]

    def __str__(self):
        return f"{self.profession} {self.state} {self.number}"


class CertificateEmail(models.Model):
    """The learner's "your certificate" email, sent by a background task (certificates/tasks.py).

    One row per certificate: `sent_at` set means sent, so a retried or repeated task sends nothing.
    """

    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, primary_key=True, related_name="issue_email"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set while one run sends, outside any transaction (ce_course.deliveries): a second run stops.
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self):
        return f"Email for {self.certificate_id}: {'sent' if self.sent_at else 'not sent'}"
