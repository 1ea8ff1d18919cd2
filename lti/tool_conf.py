"""pylti1p3's view of the registered platforms: a ToolConf backed by the Platform table and the key files."""

from django.core.exceptions import ImproperlyConfigured
from pylti1p3.deployment import Deployment as LibraryDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from lti import keys
from lti.models import Deployment, Platform


class LaunchRefused(LtiException):
    """A launch refused for a reason we name ourselves (`code` is one of refusals.REASONS)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def registration_for(platform: Platform) -> Registration:
    try:
        key = keys.current_key()
    except ImproperlyConfigured as error:
        raise LaunchRefused("tool_keys_missing", str(error)) from error
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(key.public_pem)
    )


class PlatformToolConf(ToolConfAbstract):
    """Every issuer may hold several client ids (one Platform row each)."""

    def __init__(self):
        self.issuers_relation_types = {}
        self.platform = None  # the one found for this request, for the views' audit rows

    def check_iss_has_one_client(self, iss):
        return False

    def check_iss_has_many_clients(self, iss):
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        candidates = list(Platform.objects.filter(issuer=iss, is_active=True))
        if not candidates:
            raise LaunchRefused("unknown_issuer", f"The issuer {iss!r} is not a registered platform.")
        if client_id:
            candidates = [platform for platform in candidates if platform.client_id == client_id]
            if not candidates:
                raise LaunchRefused(
                    "wrong_audience",
                    f"The token's audience {client_id!r} is not this tool's client id for {iss!r}.",
                )
        elif len(candidates) > 1:
            raise LaunchRefused(
                "unknown_issuer", f"{iss!r} has several registrations: the LMS must send client_id."
            )
        self.platform = candidates[0]
        return registration_for(self.platform)

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        found = Deployment.objects.filter(
            platform__issuer=iss,
            platform__client_id=client_id,
            platform__is_active=True,
            deployment_id=deployment_id,
        ).exists()
        if not found:
            raise LaunchRefused(
                "unknown_deployment", f"The deployment {deployment_id!r} is not registered for this platform."
            )
        return LibraryDeployment().set_deployment_id(deployment_id)
