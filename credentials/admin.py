from django.contrib import admin

from ce_course.admin_tools import ReadOnlyAdminMixin
from credentials.models import Credential, StatusList


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "certificate",
        "status_list",
        "status_index",
        "key_id",
        "issued_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["certificate__serial", "credential_id"]
    list_select_related = ["certificate"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("certificate__pdf")


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "purpose", "allocated", "size", "updated_at"]
