"""Admin pieces shared by the apps."""


class ReadOnlyAdminMixin:
    """Records kept at least six years (DESIGN.md "Security and records"), and audit trails:
    the admin shows them and never adds, edits or deletes them. Works for ModelAdmin and inlines."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
