from django.conf import settings
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from lti.models import Deployment, GradeLink, Identity, Platform, ScoreSend


def tool_values():
    """What the LMS admin pastes into her LMS's tool registration."""
    site = settings.SITE_URL
    return [
        ("Tool URL / target link URI / redirection URI (launch URL)", f"{site}{reverse('lti_launch')}"),
        ("OIDC login initiation URL", f"{site}{reverse('lti_login')}"),
        ("Public keyset URL (JWKS)", f"{site}{reverse('lti_jwks')}"),
        ("Deep linking / content selection URL", f"{site}{reverse('lti_launch')}"),
        ("Domain", site.split("://", 1)[-1]),
    ]


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "is_active")
    inlines = [DeploymentInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ("values_for_the_lms",)
    fieldsets = (
        ("Paste these into the LMS", {"fields": ("values_for_the_lms",)}),
        (
            "From the LMS",
            {"fields": ("name", "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url")},
        ),
        ("Framing", {"fields": ("frame_origins", "is_active")}),
    )

    @admin.display(description="Tool values")
    def values_for_the_lms(self, obj):
        rows = format_html_join("", "<tr><th scope='row'>{}</th><td><code>{}</code></td></tr>", tool_values())
        return format_html("<table>{}</table>", rows)


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("sub", "platform", "user", "identity_confirmed_at", "created_account")
    list_filter = ("platform",)
    search_fields = ("sub", "user__email")
    readonly_fields = ("platform", "sub", "user", "created_account", "created_at")


@admin.register(ScoreSend)
class ScoreSendAdmin(admin.ModelAdmin):
    list_display = ("link", "kind", "score_given", "activity_progress", "attempts", "sent_at")
    readonly_fields = [field.name for field in ScoreSend._meta.fields]


admin.site.register(GradeLink)
