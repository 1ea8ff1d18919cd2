from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ce_course.audit import AuditedAdminMixin, audit_record
from modules.images import ImageRefused, check_size, clean_image, declared_type
from modules.models import Course, Enrollment, Image, Module, ModuleProgress, Planner
from modules.selectors import build_course_progress
from modules.services import image_save


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


class PlannerInline(admin.TabularInline):
    model = Planner
    extra = 0


@admin.register(Course)
class CourseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "contact_hours",
        "is_published",
        "release_date",
        "expiry_date",
        "module_count",
    ]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "summary", "ce_broker_course_number"]
    prepopulated_fields = {"slug": ["title"]}
    # A provider's web address typed without a scheme is an https address (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [PlannerInline, ModuleInline]
    fieldsets = (
        (
            None,
            {"fields": ("title", "slug", "summary", "is_published", "original_author", "original_source")},
        ),
        (
            "Credit",
            {
                "fields": (
                    "contact_hours",
                    "contact_hours_calculation",
                    "minimum_minutes",
                    "release_date",
                    "expiry_date",
                )
            },
        ),
        (
            "Provider and accreditation",
            {
                "fields": (
                    "provider_name",
                    "provider_address",
                    "provider_web_address",
                    "provider_approval_number",
                    "accreditation_statement",
                    "ce_broker_course_number",
                )
            },
        ),
        (
            "Disclosures shown before the activity",
            {
                "fields": (
                    "learning_outcome",
                    "completion_criteria",
                    "disclosure_relationships",
                    "disclosure_mitigation",
                    "commercial_support",
                )
            },
        ),
        ("References", {"fields": ("references_markdown",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_modules=Count("modules"))

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
            from django.core.exceptions import PermissionDenied

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
