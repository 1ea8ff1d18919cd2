"""LTI 1.3: the platforms (LMSs) registered by an admin, who came from them, and scores sent back."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q


def origin_of(url):
    """`scheme://host[:port]` of `url`, or "" when it has none."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


class Platform(models.Model):
    """One registration of this tool in an LMS: the values the LMS shows its admin."""

    name = models.CharField(max_length=200, help_text="Shown to admins only, e.g. “St Mary's Moodle”.")
    issuer = models.URLField("issuer (iss)", max_length=500)
    client_id = models.CharField("client id", max_length=255)
    auth_login_url = models.URLField("OIDC authentication URL", max_length=500)
    auth_token_url = models.URLField("access token URL", max_length=500)
    key_set_url = models.URLField("platform JWKS URL", max_length=500)
    frame_origins = models.TextField(
        blank=True,
        help_text=(
            "Origins allowed to show this site in a frame, one per line (https://lms.example.edu). "
            "Empty: the issuer's and the authentication URL's origins. Canvas: your school's Canvas "
            "address, which differs from its issuer."
        ),
    )
    is_active = models.BooleanField(default=True, help_text="Untick to refuse every launch from it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client_unique"),
            models.CheckConstraint(condition=~Q(client_id=""), name="lti_platform_client_id_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.issuer})"

    def allowed_frame_origins(self):
        listed = [origin_of(line) for line in self.frame_origins.splitlines()]
        origins = [origin for origin in listed if origin] or [
            origin_of(self.issuer),
            origin_of(self.auth_login_url),
        ]
        return list(dict.fromkeys(origin for origin in origins if origin))


class Deployment(models.Model):
    """A deployment id the platform sends in `deployment_id`; a launch naming another is refused."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "deployment_id"], name="lti_deployment_unique"),
            models.CheckConstraint(condition=~Q(deployment_id=""), name="lti_deployment_id_not_empty"),
        ]

    def __str__(self):
        return self.deployment_id


class Identity(models.Model):
    """A platform's user (`sub`) is one account here; created on her first launch or linked by her."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="identities")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities"
    )
    # Set when the account was created from the LMS's claims, whose names are often nicknames: the
    # certificate waits until she confirms her legal name and license (lti/views.identity_confirm).
    identity_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="lti_identity_platform_sub_unique"),
            # "Link once": one account per platform user and one platform user per account.
            models.UniqueConstraint(fields=["platform", "user"], name="lti_identity_platform_user_unique"),
            models.CheckConstraint(condition=~Q(sub=""), name="lti_identity_sub_not_empty"),
        ]

    def __str__(self):
        return f"{self.sub} @ {self.platform.name}"


class UsedNonce(models.Model):
    """Every nonce of an accepted id_token: a second launch with the same one is a replay."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "nonce"], name="lti_nonce_unique")]

    def __str__(self):
        return self.nonce


class GradeLink(models.Model):
    """Where the score of one learner's course goes: the AGS claim of her latest launch of it."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="grade_links")
    course = models.ForeignKey("modules.Course", on_delete=models.CASCADE, related_name="+")
    lineitem_url = models.URLField(max_length=1000)
    scopes = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "course"], name="lti_grade_link_unique")]

    def __str__(self):
        return f"{self.identity} → {self.lineitem_url}"


class ScoreSend(models.Model):
    """One score to send to a line item, and how sending went (the task retries until sent)."""

    class Kind(models.TextChoices):
        POST_TEST_PASSED = "passed", "post-test passed"
        CERTIFICATE_ISSUED = "certificate", "certificate issued"

    link = models.ForeignKey(GradeLink, on_delete=models.CASCADE, related_name="sends")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    score_given = models.DecimalField(max_digits=6, decimal_places=2)
    score_maximum = models.DecimalField(max_digits=6, decimal_places=2)
    activity_progress = models.CharField(max_length=20)
    grading_progress = models.CharField(max_length=20)
    timestamp = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set while one run sends, outside any transaction (ce_course.deliveries): a second run stops.
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score_given__gte=0) & Q(score_given__lte=models.F("score_maximum")),
                name="lti_score_within_maximum",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.score_given}/{self.score_maximum}"
