"""`manage.py check --deploy`: the shipped example provider should not be the one courses print."""

from django.core.checks import Warning, register
from django.db import DatabaseError


@register("providers", deploy=True)
def example_provider_not_in_use(app_configs, **kwargs):
    from modules.models import Provider

    try:
        names = list(
            Provider.objects.filter(is_example=True, courses__is_published=True)
            .distinct()
            .values_list("legal_name", flat=True)
        )
    except DatabaseError:
        return []  # no tables yet (before migrate): nothing can print the example
    return [
        Warning(
            f"Published courses print the example provider {name!r}.",
            hint="Enter the real provider's details in the admin (Providers) and untick “example”.",
            id="modules.W001",
        )
        for name in names
    ]
