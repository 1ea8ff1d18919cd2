import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from credentials import badge, selectors

# The public documents change rarely (a key rotation, a provider rename); an hour keeps verifiers
# from asking on every check. The status list is fresher: a revocation shows within five minutes.
PUBLIC_MAX_AGE = 3600
STATUS_LIST_MAX_AGE = 300


def _json_response(data, content_type, *, max_age):
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type=content_type)
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages
    return response


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def issuer(request):
    return _json_response(selectors.issuer_profile(), "application/ld+json", max_age=PUBLIC_MAX_AGE)


@require_safe
def jwks(request):
    return _json_response(selectors.key_set(), "application/jwk-set+json", max_age=PUBLIC_MAX_AGE)


@require_safe
def key(request, kid):
    public = selectors.key_for_kid(kid)
    if public is None:
        raise Http404("No such key.")
    return _json_response(public, "application/jwk+json", max_age=PUBLIC_MAX_AGE)


@require_safe
def status_list(request, list_id):
    published = selectors.status_list_published(list_id)
    if published is None:
        raise Http404("No such status list.")
    last_modified = int(published.last_modified.timestamp())
    not_modified = get_conditional_response(request, etag=published.etag, last_modified=last_modified)
    response = not_modified or HttpResponse(published.jws, content_type="application/vc+jwt")
    response["ETag"] = published.etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={STATUS_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _credential_or_404(request, serial):
    credential = selectors.credential_for_download(user=request.user, serial=serial)
    if credential is None:
        raise Http404("No such credential.")
    return credential


@login_required
@require_safe
def download_json(request, serial):
    credential = _credential_or_404(request, serial)
    return _download(credential.document.encode("utf-8"), "application/json", f"credential-{serial}.json")


@login_required
@require_safe
def download_jwt(request, serial):
    credential = _credential_or_404(request, serial)
    # OB 3.0 "Document formats": a VC-JWT document is the compact JWS, served as text/plain.
    return _download(credential.jws, "text/plain; charset=utf-8", f"credential-{serial}.jwt")


@login_required
@require_safe
def download_badge(request, serial):
    credential = _credential_or_404(request, serial)
    png = badge.baked_png(contact_hours=credential.certificate.contact_hours, credential_jws=credential.jws)
    return _download(png, "image/png", f"badge-{serial}.png")


@login_required
@require_safe
def download_badge_svg(request, serial):
    credential = _credential_or_404(request, serial)
    svg = badge.baked_svg(contact_hours=credential.certificate.contact_hours, credential_jws=credential.jws)
    return _download(svg.encode("utf-8"), "image/svg+xml", f"badge-{serial}.svg")
