from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ce_course.admin_tools import ReadOnlyAdminMixin
from certificates.models import Attestation, Certificate, Evaluation


class RecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Certificate)
class CertificateAdmin(RecordAdmin):
    list_display = [
        "serial",
        "learner_name",
        "course_title",
        "completion_date",
        "contact_hours",
        "status",
        "manage",
    ]
    list_filter = ["course", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["serial", "verification_code", "learner_name", "user__email"]
    list_select_related = ["course"]
    exclude = ["pdf"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description="status")
    def status(self, obj):
        return "Valid" if obj.is_live else f"Revoked: {obj.revoked_reason}"

    @admin.display(description="revoke / re-issue")
    def manage(self, obj):
        return format_html('<a href="{}">Manage</a>', reverse("certificate_manage", args=[obj.serial]))


@admin.register(Evaluation)
class EvaluationAdmin(RecordAdmin):
    list_display = ["enrollment", "evidence_based", "free_of_bias", "submitted_at"]
    list_select_related = ["enrollment__user", "enrollment__course"]
    list_filter = ["evidence_based", "free_of_bias"]


@admin.register(Attestation)
class AttestationAdmin(RecordAdmin):
    list_display = ["enrollment", "minutes_attested", "minutes_tracked", "attested_at"]
    list_select_related = ["enrollment__user", "enrollment__course"]
