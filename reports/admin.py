from django.contrib import admin

from ce_course.admin_tools import ReadOnlyAdminMixin
from reports.models import ReportDownload, RosterBatch, RosterEntry


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(ReportDownload)
class ReportDownloadAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "export", "filters", "row_count"]
    list_filter = ["export"]
    list_select_related = ["user"]
    search_fields = ["user__email", "export"]
    date_hierarchy = "created_at"


class RosterEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RosterEntry
    extra = 0
    readonly_fields = ["license"]


@admin.register(RosterBatch)
class RosterBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "created_by", "filters"]
    list_select_related = ["created_by"]
    inlines = [RosterEntryInline]
