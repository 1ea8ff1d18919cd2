from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ce_course.audit import AuditedAdminMixin, audit_record
from modules.authoring import arrange_modules
from modules.content import ContentError
from modules.course_export import course_export_zip
from modules.forms import ArticleUploadForm
from modules.images import ImageRefused, check_size, clean_image, declared_type
from modules.models import (
    CommercialSupport,
    Course,
    Enrollment,
    Image,
    JointProvider,
    Module,
    ModuleProgress,
    Organization,
    Planner,
    Provider,
)
from modules.selectors import build_course_progress
from modules.services import course_draft_create, course_duplicate, image_save, provider_image_save


class ObjectivesField(forms.CharField):
    """Objectives edited as one per line, stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ModuleAdminForm(forms.ModelForm):
    objectives = ObjectivesField(required=False, help_text="One learning objective per line.")

    class Meta:
        model = Module
        fields = ["course", "position", "slug", "title", "objectives", "estimated_minutes", "body_markdown"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin shows help text as HTML: the link takes the author to the image library.
        self.fields["body_markdown"].help_text = format_html(
            "Place an image in a paragraph of its own as <code>[[image:KEY]]</code>. "
            '<a href="{}">Add an image</a> or <a href="{}">see the image library</a>.',
            reverse("admin:modules_image_add"),
            reverse("admin:modules_image_changelist"),
        )


class ModuleInline(admin.StackedInline):
    model = Module
    form = ModuleAdminForm
    extra = 0
    ordering = ["position"]
    show_change_link = True


class PlannerInline(admin.StackedInline):
    model = Planner
    extra = 0
    fields = [
        ("position", "name", "credentials"),
        ("role", "is_nurse_planner"),
        "financial_relationships",
        ("employer", "employer_mitigation"),
    ]


class JointProviderInline(admin.StackedInline):
    model = JointProvider
    extra = 0
    verbose_name_plural = "joint providers (ANCC joint providership)"


class CommercialSupportInline(admin.StackedInline):
    model = CommercialSupport
    extra = 0
    verbose_name_plural = "commercial support (one record per supporter)"


@admin.register(Course)
class CourseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "provider",
        "contact_hours",
        "is_published",
        "release_date",
        "expiry_date",
        "module_count",
    ]
    list_filter = ["is_published", "provider"]
    list_select_related = ["provider"]
    search_fields = ["title", "slug", "summary", "ce_broker_course_number"]
    prepopulated_fields = {"slug": ["title"]}
    # A provider's web address typed without a scheme is an https address (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [PlannerInline, JointProviderInline, CommercialSupportInline, ModuleInline]
    actions = ["duplicate_as_new_version"]
    readonly_fields = ["commercial_support_note", "previous_version", "export_link"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "summary",
                    "is_published",
                    "original_author",
                    "original_source",
                    "previous_version",
                    "export_link",
                )
            },
        ),
        (
            "Credit",
            {
                "fields": (
                    "contact_hours",
                    "contact_hours_calculation",
                    "minimum_minutes",
                    "release_date",
                    "last_review_date",
                    "expiry_date",
                )
            },
        ),
        ("Provider and accreditation", {"fields": ("provider", "ce_broker_course_number")}),
        (
            "Disclosures shown before the activity",
            {
                "fields": (
                    "learning_outcome",
                    "completion_criteria",
                    "disclosure_relationships",
                    "disclosure_mitigation",
                    "commercial_support_note",
                )
            },
        ),
        ("References", {"fields": ("references_markdown",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_modules=Count("modules"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.commercial_support_note:
            # The old free text shows only on courses migrated with some, for an admin to record it.
            fieldsets = [
                (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "commercial_support_note")})
                for name, opts in fieldsets
            ]
        return fieldsets

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("author/", view(self.author_view), name="modules_course_author"),
            path("<id:pk>/export/", view(self.export_view), name="modules_course_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "author_url": reverse("admin:modules_course_author")}
        return super().changelist_view(request, extra_context)

    @admin.display(description="content folder")
    def export_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">Export to the content folder format (ZIP)</a>',
            reverse("admin:modules_course_export", args=[obj.pk]),
        )

    @admin.action(description="Duplicate as a new version for re-approval")
    def duplicate_as_new_version(self, request, queryset):
        if not self.has_add_permission(request):
            raise PermissionDenied
        for course in queryset:
            copy = course_duplicate(course=course)
            audit_record(
                actor=request.user,
                action="course.duplicated",
                obj=copy,
                summary=f"{copy.slug} duplicated from {course.slug} for re-approval",
            )
            self.message_user(request, f"{copy.slug}: a new unpublished version of {course.slug}.")

    def export_view(self, request, pk):
        course = get_object_or_404(Course.objects.select_related("provider"), pk=pk)
        if not self.has_view_permission(request, course):
            raise PermissionDenied
        response = HttpResponse(course_export_zip(course), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}.zip"'
        return response

    def author_view(self, request):
        """Upload an article, preview its modules, retitle and reorder them, save a draft course."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ArticleUploadForm(request.POST or None, request.FILES or None)
        modules = []
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                modules = data["modules"]
                if "save" not in request.POST:
                    # The uploaded file is not sent again: the article goes on in the text box,
                    # where the author can also move split points.
                    bound = request.POST.copy()
                    bound["article_text"] = data["article_text"]
                    form = ArticleUploadForm(bound)
                else:
                    try:
                        arranged = arrange_modules(
                            modules,
                            request.POST.getlist("module_title"),
                            [_order(value) for value in request.POST.getlist("module_order")],
                        )
                        course = course_draft_create(
                            slug=data["slug"],
                            title=data["title"] or data["title_from_article"] or data["slug"],
                            provider=data["provider"],
                            modules=arranged,
                        )
                    except ContentError as error:
                        form.add_error(None, str(error))
                    except ValidationError as error:
                        for message in error.messages:
                            form.add_error(None, message)
                    else:
                        audit_record(
                            actor=request.user,
                            action="course.authored",
                            obj=course,
                            summary=f"{course.slug} created from an uploaded article",
                        )
                        messages.success(
                            request,
                            f"{course.title}: {len(arranged)} modules saved as an unpublished draft. "
                            "Complete the disclosures, then publish.",
                        )
                        return redirect("admin:modules_course_change", course.pk)
            if form.errors:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "New course from an article",
            "form": form,
            "modules": modules if not form.errors else [],
        }
        return TemplateResponse(request, "admin/modules/course/author.html", context, status=status)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        changed = [str(f.instance) for f in formset.forms if f.has_changed() and f.instance.pk]
        deleted = [str(obj) for obj in formset.deleted_objects]
        if form.instance.is_published and (changed or deleted):
            audit_record(
                actor=request.user,
                action=f"{formset.model._meta.model_name}.changed",
                obj=form.instance,
                summary=f"{formset.model._meta.verbose_name_plural} changed in published course {form.instance.slug}",
                data={"changed": changed, "deleted": deleted},
            )

    @admin.display(description="modules", ordering="num_modules")
    def module_count(self, obj):
        return obj.num_modules


def _order(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class ProviderAdminForm(forms.ModelForm):
    """The provider's details; the logo and signature are re-encoded or sanitised here (as images are)."""

    # Typed without a scheme, a web address is an https one (Django 6's default).
    web_address = forms.URLField(required=False, assume_scheme="https", max_length=200)

    logo_upload = forms.FileField(
        label="logo",
        required=False,
        help_text="PNG, JPEG, WebP or SVG, at most PROVIDER_IMAGE_MAX_BYTES. Shown on course pages.",
    )
    signature_upload = forms.FileField(
        label="nurse planner's signature",
        required=False,
        help_text="An image of the signature, at most PROVIDER_IMAGE_MAX_BYTES.",
    )

    class Meta:
        model = Provider
        fields = [
            "legal_name",
            "is_example",
            "address",
            "web_address",
            "accreditation_kind",
            "accreditation_body",
            "approval_number",
            "accreditation_statement",
            "ce_broker_provider_number",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accreditation_statement"].required = False
        limit = f"{settings.PROVIDER_IMAGE_MAX_BYTES // 1024} KB"
        for name in ("logo_upload", "signature_upload"):
            self.fields[name].help_text = self.fields[name].help_text.replace(
                "PROVIDER_IMAGE_MAX_BYTES", limit
            )

    def clean(self):
        from modules.disclosures import standard_accreditation_statement

        cleaned = super().clean()
        if not (cleaned.get("accreditation_statement") or "").strip() and cleaned.get("legal_name"):
            cleaned["accreditation_statement"] = standard_accreditation_statement(
                cleaned.get("accreditation_kind"),
                cleaned["legal_name"],
                cleaned.get("accreditation_body", ""),
            )
            self.instance.accreditation_statement = cleaned["accreditation_statement"]
        self.cleaned_images = {}
        for name, field in (("logo_upload", "logo"), ("signature_upload", "nurse_planner_signature")):
            upload = cleaned.get(name)
            if upload is None:
                continue
            try:
                declared = declared_type(upload.name, upload.content_type)
                check_size(upload.size, settings.PROVIDER_IMAGE_MAX_BYTES)
                self.cleaned_images[field] = clean_image(
                    upload.read(), declared, max_bytes=settings.PROVIDER_IMAGE_MAX_BYTES
                )
            except ImageRefused as error:
                self.add_error(name, f"{upload.name}: {error}")
        return cleaned


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ProviderAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["legal_name", "example_marker", "accreditation_kind", "approval_number", "course_count"]
    readonly_fields = ["logo_preview", "signature_preview"]
    fieldsets = (
        (None, {"fields": ("legal_name", "is_example", "address", "web_address")}),
        (
            "Accreditation",
            {
                "fields": (
                    "accreditation_kind",
                    "accreditation_body",
                    "approval_number",
                    "accreditation_statement",
                    "ce_broker_provider_number",
                )
            },
        ),
        ("Images", {"fields": ("logo_upload", "logo_preview", "signature_upload", "signature_preview")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_courses=Count("courses"))

    @admin.display(description="courses", ordering="num_courses")
    def course_count(self, obj):
        return obj.num_courses

    @admin.display(description="example?")
    def example_marker(self, obj):
        return "EXAMPLE — replace before offering credit" if obj.is_example else ""

    @admin.display(description="current logo")
    def logo_preview(self, obj):
        return format_html('<img src="{}" alt="Current logo" height="60">', obj.logo_url) if obj.logo else "—"

    @admin.display(description="current signature")
    def signature_preview(self, obj):
        if not obj.nurse_planner_signature:
            return "—"
        return format_html('<img src="{}" alt="Current signature" height="60">', obj.signature_url)

    def save_model(self, request, obj, form, change):
        provider_image_save(provider=obj, images=form.cleaned_images)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id and request.method == "GET":
            provider = Provider.objects.filter(pk=object_id).first()
            if provider is not None and provider.is_example and not settings.DEBUG:
                messages.warning(
                    request,
                    "This is the example provider shipped with the software, and this site runs with "
                    "production settings: replace its details with the real provider's and untick “example”.",
                )
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if (
            request.method == "POST"
            and isinstance(response, TemplateResponse)
            and response.context_data.get("errors")
        ):
            response.status_code = 400
        return response


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "is_ineligible_company"]
    list_filter = ["is_ineligible_company"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class OrganizationForm(form):
            def clean(self):
                cleaned = super().clean()
                if cleaned.get("is_ineligible_company") and self.instance.pk:
                    if self.instance.joint_providerships.exists():
                        raise ValidationError(
                            "This organization is a joint provider of a course: an ineligible company "
                            "cannot be one. Remove the joint providership first."
                        )
                    if self.instance.employees.filter(employer_mitigation="").exists():
                        raise ValidationError(
                            "A planner employed here has no recorded mitigation: record one before "
                            "marking the organization as an ineligible company."
                        )
                return cleaned

        return OrganizationForm


@admin.register(Module)
class ModuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ModuleAdminForm
    list_display = ["title", "course", "position", "estimated_minutes", "preview_link"]
    list_filter = ["course"]
    list_select_related = ["course"]
    search_fields = ["title", "body_markdown", "course__title"]
    ordering = ["course", "position"]

    def audited_course(self, obj):
        return obj.course

    def get_urls(self):
        urls = [
            path(
                "<id:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="modules_module_preview",
            )
        ]
        return urls + super().get_urls()

    @admin.display(description="preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">Preview</a>', reverse("admin:modules_module_preview", args=[obj.pk]))

    def preview_view(self, request, pk):
        """The module exactly as learners see it, with no enrolment and nothing recorded."""
        module = get_object_or_404(Module.objects.select_related("course"), pk=pk)
        if not self.has_view_permission(request, module):
            raise PermissionDenied
        modules = list(module.course.modules.order_by("position"))
        for each in modules:
            each.course = module.course  # the pager's links need the slug: no query per module
        progress = build_course_progress(module.course, None, modules, [])
        previous, following = progress.neighbours(module)
        return render(
            request,
            "modules/module_detail.html",
            {
                "course": module.course,
                "progress": progress,
                "module": module,
                "state": progress.state_for(module),
                "previous": previous,
                "next": following,
                "is_preview": True,
            },
        )


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "disclosures_acknowledged_at", "completed_at"]
    list_select_related = ["user", "course"]
    list_filter = ["course"]
    search_fields = ["user__email", "user__last_name"]
    readonly_fields = ["user", "course", "disclosures_acknowledged_at", "completed_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept; see DESIGN.md "Security and records"


@admin.register(ModuleProgress)
class ModuleProgressAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "module", "first_viewed_at", "completed_at", "seconds_spent"]
    list_select_related = ["enrollment__user", "enrollment__course", "module"]
    readonly_fields = [
        "enrollment",
        "module",
        "first_viewed_at",
        "last_seen_at",
        "completed_at",
        "seconds_spent",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ImageAdminForm(forms.ModelForm):
    """An image upload: the file is sanitised or re-encoded here, so a refusal is a form error."""

    upload = forms.FileField(
        label="image file",
        required=False,
        help_text="PNG, JPEG, WebP or SVG. Photos lose their metadata (EXIF, GPS); SVGs keep only "
        "shapes and text. Choose a file to replace the image: pages already frozen keep the old one.",
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp,.svg"}),
    )

    class Meta:
        model = Image
        fields = ["key", "alt_text", "decorative", "caption", "source", "long_description_markdown"]

    def clean(self):
        cleaned = super().clean()
        self.cleaned_image = None
        if not cleaned.get("decorative") and not (cleaned.get("alt_text") or "").strip():
            self.add_error(
                "alt_text", "Describe the image for readers who cannot see it, or tick “decorative”."
            )
        upload = cleaned.get("upload")
        if upload is None:
            if self.instance.pk is None:
                self.add_error("upload", "Choose an image file.")
            return cleaned
        try:
            declared = declared_type(upload.name, upload.content_type)
            check_size(upload.size, settings.IMAGE_MAX_BYTES)  # before the file is read into memory
            self.cleaned_image = clean_image(upload.read(), declared, max_bytes=settings.IMAGE_MAX_BYTES)
        except ImageRefused as error:
            self.add_error("upload", f"{upload.name}: {error}")
        return cleaned


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["key", "thumbnail", "content_type", "width", "height", "decorative", "updated_at"]
    list_filter = ["content_type", "decorative"]
    search_fields = ["key", "alt_text", "caption", "source"]
    readonly_fields = [
        "markdown",
        "preview",
        "content_type",
        "width",
        "height",
        "bytes",
        "sha256",
        "uploaded_by",
    ]
    fieldsets = (
        (None, {"fields": ("key", "upload", "markdown", "preview")}),
        (
            "For readers who cannot see it",
            {"fields": ("alt_text", "decorative", "long_description_markdown")},
        ),
        ("Under the image", {"fields": ("caption", "source")}),
        ("Stored file", {"fields": ("content_type", "width", "height", "bytes", "sha256", "uploaded_by")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Markdown places the image by key; renaming it would break every page that does.
        return [*self.readonly_fields, "key"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # pages and snapshots may place it; replace the file instead

    def save_model(self, request, obj, form, change):
        image_save(image=obj, clean=form.cleaned_image, user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        # A refused upload or missing alt text is the author's input to fix: a 400, not a 200.
        if (
            request.method == "POST"
            and isinstance(response, TemplateResponse)
            and response.context_data.get("errors")
        ):
            response.status_code = 400
        return response

    @admin.display(description="place it with")
    def markdown(self, obj):
        return format_html("<code>[[image:{}]]</code>", obj.key) if obj.pk else "—"

    @admin.display(description="image")
    def preview(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<img src="{}" alt="{}" height="160">', obj.url, obj.alt_text)

    @admin.display(description="image")
    def thumbnail(self, obj):
        return format_html('<img src="{}" alt="" height="40">', obj.url)
