"""LTI 1.3 endpoints: JWKS, OIDC login initiation, launch, first-launch account, identity, deep linking.

Every token and OIDC step goes through pylti1p3; these views only route its results.
"""

from urllib.parse import urlencode, urlsplit

import jwt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.cookie import DjangoCookieService
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from accounts.forms import LoginForm
from lti import keys, selectors, services
from lti.forms import IdentityConfirmForm, LinkAccountForm
from lti.models import origin_of
from lti.refusals import REASONS, classify
from lti.tool_conf import LaunchRefused, PlatformToolConf

SESSION_BACKEND = "accounts.backends.CachedUserBackend"
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")
# PyJWT checks exp when present; LTI 1.3 requires exp and iat, so their absence is refused too.
JWT_OPTIONS = {"verify_aud": False, "require": ["exp", "iat"]}


def _storage():
    # Launch state in the shared cache (every worker sees it); over HTTPS pylti1p3 keys it by its
    # own SameSite=None cookie, so it survives inside the LMS frame.
    return DjangoCacheDataStorage(cache_name="default")


def launch_url():
    return f"{settings.SITE_URL}{reverse('lti_launch')}"


def _refused(request, error, conf, *, issuer=""):
    code = getattr(error, "code", None) or classify(str(error))
    platform = conf.platform
    services.refusal_record(code=code, detail=str(error), platform=platform, issuer=issuer)
    if platform is not None:
        request.lti_frame_origins = platform.allowed_frame_origins()
    if code in {"bad_signature", "wrong_audience", "unknown_issuer", "unknown_deployment"}:
        status = 403
    elif code == "tool_keys_missing":
        status = 503  # the site's own set-up, not the request, is at fault
    else:
        status = 400
    return render(
        request,
        "lti/refused.html",
        {"reason": REASONS[code], "code": code, "detail": str(error)},
        status=status,
    )


@require_safe
def jwks(request):
    return JsonResponse(keys.jwks())


@csrf_exempt  # the LMS posts here; the OIDC state and nonce protect the exchange
@require_http_methods(["GET", "HEAD", "POST"])
def oidc_login(request):
    conf = PlatformToolConf()
    params = request.POST if request.method == "POST" else request.GET
    cookies = DjangoCookieService(DjangoRequest(request))
    oidc = DjangoOIDCLogin(request, conf, cookie_service=cookies, launch_data_storage=_storage())
    try:
        auth_url = oidc.get_redirect_object(launch_url()).get_redirect_url()
    except (LtiException, OIDCException) as error:
        return _refused(request, error, conf, issuer=params.get("iss", ""))
    request.lti_frame_origins = conf.platform.allowed_frame_origins()
    if params.get("lti1p3_new_window"):
        response = HttpResponseRedirect(auth_url)
    else:
        # A page that checks, in the frame, that this site's cookies are kept; if the browser
        # blocks them it offers the same login in a new window (static/js/lti.js).
        again = {key: params[key] for key in LOGIN_PARAMS if params.get(key)}
        again["lti1p3_new_window"] = "1"
        new_window_url = f"{reverse('lti_login')}?{urlencode(again)}"
        response = render(request, "lti/login.html", {"auth_url": auth_url, "new_window_url": new_window_url})
    cookies.update_response(response)
    return response


def _course_from(launch_data):
    slug = (launch_data.get("https://purl.imsglobal.org/spec/lti/claim/custom") or {}).get("course")
    if not slug:
        target = launch_data.get("https://purl.imsglobal.org/spec/lti/claim/target_link_uri") or ""
        try:
            match = resolve(urlsplit(target).path)
        except Resolver404:
            return None
        slug = match.kwargs.get("slug") if match.url_name == "course_detail" else None
    return selectors.course_for_launch(slug) if slug else None


def _sign_in(request, user, platform):
    if request.user.is_authenticated and request.user.pk != user.pk:
        request.session.flush()
    login(request, user, backend=SESSION_BACKEND)
    request.session["lti_platform_id"] = platform.pk


@csrf_exempt  # the LMS's auto-posting form; the id_token's signature, state and nonce protect it
@require_POST
def launch(request):
    conf = PlatformToolConf()
    message_launch = DjangoMessageLaunch(request, conf, launch_data_storage=_storage())
    message_launch.set_jwt_verify_options(dict(JWT_OPTIONS))
    try:
        data = message_launch.get_launch_data()
        services.nonce_use(platform=conf.platform, nonce=data["nonce"])
    except LtiException as error:
        return _refused(request, error, conf, issuer=_unverified_issuer(request))
    platform = conf.platform
    request.lti_frame_origins = platform.allowed_frame_origins()
    if message_launch.is_deep_link_launch():
        request.session["lti_platform_id"] = platform.pk
        request.session["lti_deep_link_id"] = message_launch.get_launch_id()
        return redirect("lti_deep_link")
    course = _course_from(data)
    if not message_launch.is_resource_launch() or course is None:
        code = "unknown_course" if message_launch.is_resource_launch() else "invalid"
        return _refused(request, LaunchRefused(code, REASONS[code]), conf, issuer=platform.issuer)
    pending = {
        "platform_id": platform.pk,
        "sub": data["sub"],
        "email": data.get("email", ""),
        "given_name": data.get("given_name", ""),
        "family_name": data.get("family_name", ""),
        "name": data.get("name", ""),
        "course_id": course.pk,
        "ags": data.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint") or {},
    }
    identity = selectors.identity_for(platform=platform, sub=data["sub"])
    if identity is None:
        request.session["lti_pending"] = pending
        request.session["lti_platform_id"] = platform.pk
        return redirect("lti_account")
    return _enter_course(request, identity, pending)


def _unverified_issuer(request):
    """The issuer a refused id_token claims: only for the audit row, never trusted."""
    try:
        claims = jwt.decode(request.POST.get("id_token", ""), options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    issuer = claims.get("iss", "") if isinstance(claims, dict) else ""
    return issuer if isinstance(issuer, str) else ""


def _refuse_privileged(request, user, platform):
    """Staff, superusers and board reviewers are never signed in or linked by a launch."""
    code = "privileged_account"
    services.refusal_record(
        code=code,
        detail=f"Account {user.pk} is staff, an administrator or a CE board reviewer.",
        platform=platform,
        issuer=platform.issuer,
    )
    request.session.pop("lti_pending", None)
    request.session.pop("lti_platform_id", None)
    request.lti_frame_origins = platform.allowed_frame_origins()
    return render(request, "lti/refused.html", {"reason": REASONS[code], "code": code}, status=403)


def _enter_course(request, identity, pending):
    if not selectors.may_sign_in_from_lms(identity.user):
        return _refuse_privileged(request, identity.user, identity.platform)
    _sign_in(request, identity.user, identity.platform)
    course = selectors.course_by_id(pending["course_id"])
    services.grade_link_save(identity=identity, course=course, ags_claim=pending["ags"])
    if identity.identity_confirmed_at is None:
        messages.info(
            request, "Before your certificate, confirm your legal name and license (Confirm your identity)."
        )
    return redirect("course_detail", slug=course.slug)


@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    """First launch from an LMS: a new account from the LMS's details, or link the account she has."""
    pending = request.session.get("lti_pending")
    platform = selectors.platform_for_pending(pending) if pending else None
    if platform is None:  # no launch, or the platform was deactivated since
        request.session.pop("lti_pending", None)
        return render(request, "lti/refused.html", {"reason": REASONS["no_launch"], "code": ""}, status=400)
    link_form = LinkAccountForm(request.POST if request.POST.get("action") == "link" else None)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "create":
                identity = services.account_create(platform=platform, pending=pending)
            elif link_form.is_valid():
                # The site's log-in form, so the address limit and the slow-down apply here too.
                login_form = LoginForm(
                    request,
                    data={
                        "username": link_form.cleaned_data["email"],
                        "password": link_form.cleaned_data["password"],
                    },
                )
                if not login_form.is_valid():
                    raise services.LinkError("That email and password do not match an account here.")
                user = login_form.get_user()
                if not selectors.may_sign_in_from_lms(user):
                    return _refuse_privileged(request, user, platform)
                identity = services.account_link(platform=platform, sub=pending["sub"], user=user)
            else:
                raise services.LinkError("Enter the email and password of your account here.")
        except services.LinkError as failure:
            error = str(failure)
        else:
            del request.session["lti_pending"]
            return _enter_course(request, identity, pending)
    context = {"platform": platform, "pending": pending, "link_form": link_form, "error": error}
    return render(request, "lti/account.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def identity_confirm(request):
    form = IdentityConfirmForm(
        request.POST or None,
        initial={"first_name": request.user.first_name, "last_name": request.user.last_name},
    )
    has_license = request.user.licenses.exists()
    if request.method == "POST" and form.is_valid() and has_license:
        services.identity_confirm(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        messages.success(request, "Thank you: your certificate will carry this name and license.")
        return redirect("dashboard")
    status = 400 if request.method == "POST" else 200
    return render(request, "lti/identity.html", {"form": form, "has_license": has_license}, status=status)


def _deep_link_launch(request):
    launch_id = request.session.get("lti_deep_link_id")
    if not launch_id:
        return None
    try:
        return DjangoMessageLaunch.from_cache(
            launch_id, request, PlatformToolConf(), launch_data_storage=_storage()
        )
    except LtiException:
        return None


@require_safe
def deep_link(request):
    """The educator picks a course for her LMS course."""
    if _deep_link_launch(request) is None:
        return render(
            request, "lti/refused.html", {"reason": "No deep-linking request is in progress."}, status=400
        )
    return render(request, "lti/deep_link.html", {"courses": selectors.courses_to_link()})


@require_POST
def deep_link_respond(request):
    message_launch = _deep_link_launch(request)
    if message_launch is None:
        return render(
            request, "lti/refused.html", {"reason": "No deep-linking request is in progress."}, status=400
        )
    course = selectors.course_for_launch(request.POST.get("course", ""))
    if course is None:
        return render(request, "lti/refused.html", {"reason": REASONS["unknown_course"]}, status=400)
    resource = (
        DeepLinkResource()
        .set_url(launch_url())
        .set_title(course.title)
        .set_custom_params({"course": course.slug})
        .set_lineitem(LineItem().set_score_maximum(100).set_label(course.title).set_resource_id(course.slug))
    )
    deep_link = message_launch.get_deep_link()
    token = deep_link.get_response_jwt([resource])
    return_url = message_launch.get_launch_data()[
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    ]["deep_link_return_url"]
    del request.session["lti_deep_link_id"]
    request.lti_form_action = [origin_of(return_url)]
    return render(
        request, "lti/deep_link_return.html", {"return_url": return_url, "token": token, "course": course}
    )
