from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.functional import cached_property

from modules.disclosures import (
    ACCREDITATION_KINDS,
    ACCREDITED_PROVIDER,
    commercial_support_text,
    support_line,
)
from modules.images import EXTENSIONS
from modules.markdown import Figure, UnknownImage, image_keys, render_markdown


class Course(models.Model):
    """A CE activity: what the learner studies and everything ANCC requires to be disclosed first."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="One or two sentences for the catalogue.")
    original_author = models.CharField(
        max_length=200, blank=True, help_text="Credit for the article the course is based on."
    )
    original_source = models.CharField(max_length=300, blank=True)

    provider = models.ForeignKey(
        "Provider",
        on_delete=models.PROTECT,
        related_name="courses",
        help_text="The accredited organization; pages and certificates print its details.",
    )
    ce_broker_course_number = models.CharField("CE Broker course number", max_length=40, blank=True)

    learning_outcome = models.TextField()
    completion_criteria = models.TextField("criteria for successful completion")
    disclosure_relationships = models.TextField(
        "relevant financial relationships",
        help_text="Relevant financial relationships of planners and authors, or a statement that there are none.",
    )
    disclosure_mitigation = models.TextField("mitigation of relevant financial relationships", blank=True)
    # The free text used before commercial support became records (CommercialSupport); kept so an
    # admin can see what was written and record it properly. Not printed anywhere.
    commercial_support_note = models.TextField(
        "commercial support (old free text)", blank=True, editable=False, default=""
    )
    references_markdown = models.TextField("references (Markdown)", blank=True)
    references_html = models.TextField(editable=False, default="")

    contact_hours = models.DecimalField(max_digits=5, decimal_places=2)
    contact_hours_calculation = models.TextField("how contact hours were calculated")
    minimum_minutes = models.PositiveIntegerField(
        default=0, help_text="Minimum tracked study time before a certificate; 0 for none."
    )
    release_date = models.DateField()
    last_review_date = models.DateField(
        null=True, blank=True, help_text="When the content was last reviewed for currency and accuracy."
    )
    expiry_date = models.DateField(help_text="Last day this enduring material may be completed for credit.")
    is_published = models.BooleanField("published", default=False)
    previous_version = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The course this one was duplicated from, for re-approval.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(contact_hours__gt=Decimal("0")), name="course_hours_positive"),
            models.CheckConstraint(
                condition=Q(expiry_date__gt=F("release_date")), name="course_expiry_after_release"
            ),
            models.CheckConstraint(
                condition=Q(last_review_date__isnull=True) | Q(last_review_date__gte=F("release_date")),
                name="course_review_after_release",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Rendered once here, like module bodies, so no request renders Markdown.
        self.references_html = render_markdown(self.references_markdown)
        if kwargs.get("update_fields") is not None and "references_markdown" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "references_html"}
        super().save(*args, **kwargs)

    def is_expired(self, today):
        """True once the last day for credit (expiry_date) has passed."""
        return today > self.expiry_date

    # What the course prints comes from its provider; these names are the ones templates,
    # certificates and reports have always read.
    @property
    def provider_name(self):
        return self.provider.legal_name

    @property
    def provider_address(self):
        return self.provider.address

    @property
    def provider_web_address(self):
        return self.provider.web_address

    @property
    def provider_approval_number(self):
        return self.provider.approval_number

    @property
    def accreditation_statement(self):
        return self.provider.accreditation_statement

    def joint_providership_statement(self):
        """The joint providers' statements, one paragraph each, or "" when the course has none."""
        return "\n\n".join(joint.statement for joint in self.joint_providers.all())

    def commercial_support_disclosure(self):
        return commercial_support_text(list(self.support_records.all()))

    # cached_property: the courses and modules kept per worker (modules.selectors) work their
    # URLs out once, instead of a {% url %} lookup on every page.
    @cached_property
    def learner_url(self):
        return reverse("course_detail", args=[self.slug])


class Planner(models.Model):
    """A planner or author of a course, shown in the disclosures and on the activity file."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="planners")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200)
    credentials = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=100, help_text='For example "Nurse planner" or "Content author".')
    is_nurse_planner = models.BooleanField(
        default=False, help_text="The nurse planner signs the certificate."
    )
    financial_relationships = models.CharField(max_length=300, default="No relevant financial relationships.")
    employer = models.ForeignKey(
        "Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
        help_text="Leave empty for a self-employed planner.",
    )
    employer_mitigation = models.TextField(
        "mitigation (ineligible employer)",
        blank=True,
        help_text="Required when the employer is an ineligible company: how its influence was kept out.",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"], condition=Q(is_nurse_planner=True), name="planner_one_nurse_planner"
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def clean(self):
        super().clean()
        if self.employer_id and self.employer.is_ineligible_company and not self.employer_mitigation.strip():
            raise ValidationError(
                {
                    "employer_mitigation": f"{self.employer.name} is an ineligible company: record how the "
                    "relationship was mitigated before this person plans the activity."
                }
            )


class Module(models.Model):
    """One lesson of a course. Bodies are Markdown; the sanitised HTML is stored, not rendered per request."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    objectives = models.JSONField(default=list, blank=True, help_text="A list of learning objectives.")
    body_markdown = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, default="")
    estimated_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="module_unique_position"),
            models.UniqueConstraint(fields=["course", "slug"], name="module_unique_slug"),
            models.CheckConstraint(condition=Q(position__gte=1), name="module_position_positive"),
            models.CheckConstraint(condition=Q(estimated_minutes__gte=1), name="module_minutes_positive"),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"

    def save(self, *args, **kwargs):
        # The HTML is a pure function of the Markdown (and the images it places), kept beside it
        # so no request renders it; deriving it here means no code path can save one without the other.
        self.body_html = render_markdown_with_images(self.body_markdown)
        if kwargs.get("update_fields") is not None and "body_markdown" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        images_check(body_markdown=self.body_markdown)

    @cached_property
    def learner_url(self):
        return reverse("module_detail", args=[self.course.slug, self.slug])

    @cached_property
    def complete_url(self):
        return reverse("module_complete", args=[self.course.slug, self.slug])


class Enrollment(models.Model):
    """A learner's place in a course. Created only when the disclosures are acknowledged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    disclosures_acknowledged_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_user_course"),
        ]

    def __str__(self):
        return f"{self.user} in {self.course}"


class ModuleProgress(models.Model):
    """What a learner did in one module. Seconds are credited by the server (see services)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="progress")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="progress")
    first_viewed_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "module progress"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "module"], name="progress_unique_module"),
            models.CheckConstraint(
                condition=Q(last_seen_at__gte=F("first_viewed_at")), name="progress_seen_after_first_view"
            ),
        ]

    def __str__(self):
        return f"{self.enrollment} / {self.module}"


# The keys the Markdown syntax can name (modules.markdown.IMAGE_PARAGRAPH).
IMAGE_KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    "Use lowercase letters, digits, hyphens and underscores, starting with a letter or digit.",
)


def _image_file_name(instance, filename):
    return filename  # the service names the file (key and content hash); see Image.file


class Image(models.Model):
    """An image authors place in Markdown with `[[image:KEY]]`: module bodies and question stems.

    The stored file's name holds the hash of its bytes and a file is never overwritten or deleted:
    replacing an image stores a new file and points this row at it, so HTML frozen earlier (attempt
    and certificate snapshots) still finds the bytes it was frozen with.
    """

    key = models.SlugField(
        max_length=80,
        unique=True,
        validators=[IMAGE_KEY_VALIDATOR],
        help_text="Lowercase letters, digits and hyphens; placed in Markdown as [[image:KEY]].",
    )
    file = models.FileField(upload_to=_image_file_name, max_length=255, editable=False)
    content_type = models.CharField(max_length=20, choices=[(t, t) for t in EXTENSIONS], editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    bytes = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    alt_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the image shows, for someone who cannot see it. Required unless decorative.",
    )
    decorative = models.BooleanField(
        default=False,
        help_text="Tick only if the image adds nothing to the text: it is then hidden from screen readers.",
    )
    caption = models.CharField(max_length=500, blank=True, help_text="Shown under the image (Markdown).")
    source = models.CharField(
        max_length=300, blank=True, help_text="Where the content comes from, e.g. Degen 2019."
    )
    long_description_markdown = models.TextField(
        "long description (Markdown)",
        blank=True,
        help_text="Everything the picture shows, for readers who cannot see it; shown in a details element.",
    )
    long_description_html = models.TextField(editable=False, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decorative=True) | ~Q(alt_text=""), name="image_alt_unless_decorative"
            ),
            models.CheckConstraint(condition=Q(content_type__in=list(EXTENSIONS)), name="image_type_known"),
            models.CheckConstraint(condition=Q(width__gt=0, height__gt=0), name="image_size_positive"),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        self.long_description_html = render_markdown(self.long_description_markdown)
        if kwargs.get("update_fields") is not None and "long_description_markdown" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "long_description_html"}
        super().save(*args, **kwargs)

    @property
    def url(self):
        # Always through the site's own view (modules.views.image_file), whatever the storage,
        # so the page's CSP stays img-src 'self' even with object storage.
        return reverse("image_file", args=[self.file.name.rsplit("/", 1)[-1]])

    def figure(self):
        return Figure(
            src=self.url,
            width=self.width,
            height=self.height,
            alt=self.alt_text,
            decorative=self.decorative,
            caption=self.caption,
            source=self.source,
            long_description_html=self.long_description_html,
        )


def render_markdown_with_images(text):
    """render_markdown with the images `text` places looked up by key (no query when it places none).

    Raises UnknownImage for a key that is not in the library.
    """
    keys = image_keys(text)
    images = Image.objects.filter(key__in=keys) if keys else []
    return render_markdown(text, {image.key: image.figure() for image in images})


def images_check(**fields):
    """ValidationError on each Markdown field (name=text) that places an image not in the library."""
    errors = {}
    for name, text in fields.items():
        try:
            render_markdown_with_images(text)
        except UnknownImage as error:
            errors[name] = str(error)
    if errors:
        raise ValidationError(errors)


def _provider_file_name(instance, filename):
    return filename  # provider_image_store names the file (content hash), as for Image.file


class Provider(models.Model):
    """The accredited organization that runs courses: printed on pages, certificates and reports.

    A change applies to what is printed from then on; certificates copy these values when issued.
    """

    legal_name = models.CharField(max_length=200, unique=True)
    address = models.CharField(max_length=300, blank=True)
    web_address = models.URLField(blank=True)
    accreditation_kind = models.CharField(
        max_length=30, choices=ACCREDITATION_KINDS, default=ACCREDITED_PROVIDER
    )
    accreditation_body = models.CharField(
        max_length=200,
        default="American Nurses Credentialing Center's Commission on Accreditation",
        help_text="Who accredits or approves the provider (for an approved provider unit: the approver).",
    )
    approval_number = models.CharField("approval or provider number", max_length=60, blank=True)
    accreditation_statement = models.TextField(
        help_text="Printed word for word. Leave empty to start from ANCC's statement for the kind above."
    )
    ce_broker_provider_number = models.CharField("CE Broker provider number", max_length=40, blank=True)
    logo = models.FileField(upload_to=_provider_file_name, max_length=255, blank=True, editable=False)
    nurse_planner_signature = models.FileField(
        upload_to=_provider_file_name, max_length=255, blank=True, editable=False
    )
    is_example = models.BooleanField(
        default=False,
        help_text="Example details shipped with the software: replace them before offering credit.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(condition=~Q(accreditation_statement=""), name="provider_statement_given"),
            models.CheckConstraint(
                condition=Q(accreditation_kind__in=[k for k, _ in ACCREDITATION_KINDS]),
                name="provider_kind_known",
            ),
        ]

    def __str__(self):
        return f"{self.legal_name} (example)" if self.is_example else self.legal_name

    @staticmethod
    def file_url(field):
        return reverse("image_file", args=[field.name.rsplit("/", 1)[-1]]) if field else ""

    @property
    def logo_url(self):
        return self.file_url(self.logo)

    @property
    def signature_url(self):
        """The staff-only address of the signature image (for the admin's preview)."""
        name = self.nurse_planner_signature.name
        return reverse("provider_signature_file", args=[name.rsplit("/", 1)[-1]]) if name else ""


class Organization(models.Model):
    """Another organization: a joint provider, a commercial supporter or a planner's employer."""

    name = models.CharField(max_length=200, unique=True)
    is_ineligible_company = models.BooleanField(
        "ineligible company (commercial interest)",
        default=False,
        help_text="Its primary business is producing, marketing, selling, re-selling or distributing "
        "healthcare products used by or on patients (ANCC's definition).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} (ineligible company)" if self.is_ineligible_company else self.name


class JointProvider(models.Model):
    """An organization that plans and delivers the course with the provider (ANCC joint providership).

    An ineligible company can never be one; the database refuses it too (a trigger, migration 0004).
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="joint_providers")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="joint_providerships"
    )
    role = models.CharField(max_length=200, help_text="What the organization does, e.g. co-plans content.")
    agreement_date = models.DateField(help_text="Date of the written joint-providership agreement.")
    statement = models.TextField(
        "joint-providership statement", help_text="Printed in the disclosures and on the certificate."
    )

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "organization"], name="joint_provider_once_per_course"),
            models.CheckConstraint(condition=~Q(statement=""), name="joint_provider_statement_given"),
            models.CheckConstraint(condition=~Q(role=""), name="joint_provider_role_given"),
        ]

    def __str__(self):
        return f"{self.organization.name} ({self.role})"

    def clean(self):
        super().clean()
        if self.organization_id and self.organization.is_ineligible_company:
            raise ValidationError(
                {
                    "organization": f"{self.organization.name} is an ineligible company: ANCC does not allow "
                    "an ineligible company to jointly provide an activity."
                }
            )


class CommercialSupport(models.Model):
    """One supporter's financial or in-kind contribution, under a written agreement."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="support_records")
    supporter = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="support_given")
    amount = models.DecimalField(
        "monetary amount (USD)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    in_kind_description = models.TextField(blank=True, help_text="What was given in kind, if anything.")
    agreement_date = models.DateField(help_text="Date the written agreement was signed.")
    signatories = models.TextField(help_text="Who signed the agreement, for the provider and the supporter.")

    class Meta:
        verbose_name_plural = "commercial support"
        ordering = ["supporter__name", "id"]
        constraints = [
            models.CheckConstraint(
                # amount__isnull: a NULL amount makes "amount > 0" unknown, which a CHECK lets through.
                condition=Q(amount__isnull=False, amount__gt=Decimal("0")) | ~Q(in_kind_description=""),
                name="support_amount_or_in_kind",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=Decimal("0")), name="support_amount_positive"
            ),
            models.CheckConstraint(condition=~Q(signatories=""), name="support_signatories_given"),
        ]

    def __str__(self):
        return support_line(self.supporter.name, self.amount, self.in_kind_description)

    def clean(self):
        super().clean()
        if self.amount is None and not self.in_kind_description.strip():
            raise ValidationError("Give the monetary amount, describe the in-kind support, or both.")
