from django.contrib import admin

from ce_course.admin_tools import ReadOnlyAdminMixin
from ce_course.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["summary", "object_id", "actor__email"]
    date_hierarchy = "at"
