from django.apps import AppConfig


class ModulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "modules"

    def ready(self):
        from modules import (
            checks,  # noqa: F401  (registers the deploy check on the example provider)
            signals,  # noqa: F401  (connects the course-structure cache invalidation)
        )
