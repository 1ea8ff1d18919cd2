from django.contrib import admin

from reminders.models import ReminderOptOut, ReminderSent, StateRequirement


@admin.register(StateRequirement)
class StateRequirementAdmin(admin.ModelAdmin):
    list_display = ("state", "profession", "hours", "period_months", "source_citation")
    list_filter = ("state", "profession")


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    """The log: read-only, since the rows are what keeps a reminder from going out twice."""

    list_display = (
        "claimed_at",
        "recipient",
        "reason",
        "subject_key",
        "period",
        "outcome",
        "sent_at",
        "attempts",
    )
    list_filter = ("reason", "outcome")
    search_fields = ("recipient__email", "subject_key")
    readonly_fields = [f.name for f in ReminderSent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(admin.ModelAdmin):
    list_display = ("user", "category", "created_at")
    list_filter = ("category",)
    search_fields = ("user__email",)
