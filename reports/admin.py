from django.contrib import admin

from reports.models import ReportDownload, RosterBatch, RosterEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records: visible, never edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportDownload)
class ReportDownloadAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "export", "filters", "row_count"]
    list_filter = ["export"]
    list_select_related = ["user"]
    search_fields = ["user__email", "export"]
    date_hierarchy = "created_at"


class RosterEntryInline(admin.TabularInline):
    model = RosterEntry
    extra = 0
    can_delete = False
    readonly_fields = ["license"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RosterBatch)
class RosterBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "created_by", "filters"]
    list_select_related = ["created_by"]
    inlines = [RosterEntryInline]
