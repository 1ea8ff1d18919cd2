"""`manage.py check --deploy`: production must not sign certificates with a development key."""

from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured

from certificates import signing_keys


@register(deploy=True)
def signing_key_is_for_production(app_configs, **kwargs):
    try:
        key = signing_keys.current_key()
    except ImproperlyConfigured as error:
        return [Warning(str(error), id="certificates.W001")]
    if key.is_development:
        return [
            Warning(
                f"The current signing key {key.kid} is a development key ({key.subject}); certificate "
                "PDFs signed with it say so to every reader.",
                hint="Run `manage.py create_signing_key --common-name '<provider name>'` with CE_SIGNING_KEY_DIR set, "
                "or put a key with a CA-issued certificate there.",
                id="certificates.W002",
            )
        ]
    return []
