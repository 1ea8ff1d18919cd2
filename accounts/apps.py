from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the cached-user invalidation)
        from accounts.roles import ensure_role_groups

        # Permissions only exist after every app has migrated, so the groups are synced then.
        post_migrate.connect(ensure_role_groups, dispatch_uid="accounts.ensure_role_groups")
