import hashlib
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.roles import is_board_reviewer
from certificates import pdf, pdf_signing, selectors, services, signing_keys, throttle, transcript
from certificates.codes import normalize_code
from certificates.forms import AttestationForm, EvaluationForm, RevokeForm, VerifyForm, VerifyPdfForm
from certificates.uploads import MemoryOnlyUploadHandler
from modules.selectors import course_for_learner, course_progress
from reminders.selectors import license_period_hours


def _enrolled_progress_or_redirect(request, slug):
    course = course_for_learner(slug)
    if course is None:
        raise Http404("No such course.")
    progress = course_progress(user=request.user, course=course)
    if not progress.is_enrolled:
        messages.info(request, "Read the disclosures and enrol first.")
        return course, None
    return course, progress


def _pdf_response(content, filename, *, inline=False):
    response = HttpResponse(bytes(content), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evaluation(request, slug):
    course, progress = _enrolled_progress_or_redirect(request, slug)
    if progress is None:
        return redirect("course_detail", slug=course.slug)
    if progress.evaluation is not None:
        return render(request, "certificates/evaluation_done.html", {"course": course, "progress": progress})
    passed = progress.all_modules_complete and (not progress.post_test.exists or progress.post_test.passed)
    form = EvaluationForm(
        request.POST if request.method == "POST" else None, objectives=selectors.course_objectives(course)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.evaluation_submit(user=request.user, course=course, **form.service_arguments())
            except services.CertificateError as error:
                messages.error(request, str(error))
                return redirect("evaluation", slug=course.slug)
            messages.success(request, "Thank you: your evaluation is recorded.")
            return redirect("certificate", slug=course.slug)
        status = 400
    return render(
        request,
        "certificates/evaluation.html",
        {"course": course, "progress": progress, "form": form, "open": passed},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate(request, slug):
    course, progress = _enrolled_progress_or_redirect(request, slug)
    if progress is None:
        return redirect("course_detail", slug=course.slug)
    attest_form = AttestationForm(
        request.POST if request.POST.get("action") == "attest" else None,
        # The tracked minutes, never more: nothing is suggested when nothing was tracked.
        initial={"minutes": progress.minutes_spent or None},
    )
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "attest":
                if attest_form.is_valid():
                    services.attestation_submit(
                        user=request.user, course=course, minutes=attest_form.cleaned_data["minutes"]
                    )
                    messages.success(request, "Your time is attested. You can claim your certificate now.")
                    return redirect("certificate", slug=course.slug)
                status = 400
            elif request.POST.get("action") == "claim":
                services.certificate_issue(user=request.user, course=course)
                messages.success(request, "Your certificate is ready.")
                return redirect("certificate", slug=course.slug)
            else:
                messages.error(request, "Unknown action.")
                status = 400
        except services.CertificateError as error:
            messages.error(request, str(error))
            return redirect("certificate", slug=course.slug)
    return render(
        request,
        "certificates/certificate.html",
        {"course": course, "progress": progress, "attest_form": attest_form},
        status=status,
    )


@login_required
@require_safe
def certificate_download(request, serial):
    certificate = selectors.certificate_for_download(user=request.user, serial=serial)
    if certificate is None:
        raise Http404("No such certificate.")
    # The stored bytes, byte for byte: never re-rendered, so the document never changes.
    return _pdf_response(certificate.pdf, f"certificate-{certificate.serial}.pdf")


@require_safe
def verify(request):
    form = VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("verify_code", code=normalize_code(form.cleaned_data["code"]) or "-")
    return render(
        request,
        "certificates/verify.html",
        {"form": form, "upload_limit": _upload_limit_label()},
        status=400 if form.is_bound else 200,
    )


# Room in a multipart body for the boundaries, headers and the CSRF token beside the file.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


def _upload_limit_label():
    return filesizeformat(settings.CE_VERIFY_UPLOAD_MAX_BYTES)


def _pdf_form_refused(request, errors):
    """The verify page again with the upload's errors, as a 400: nothing was checked."""
    return render(
        request,
        "certificates/verify.html",
        {"form": VerifyForm(), "pdf_errors": errors, "upload_limit": _upload_limit_label()},
        status=400,
    )


def _too_large(request):
    return _pdf_form_refused(
        request,
        [
            f"The file is larger than {_upload_limit_label()}: a certificate PDF is far smaller. Nothing was kept."
        ],
    )


@csrf_exempt  # CSRF is checked in _verify_pdf, once the upload handler is in place (Django's docs).
@require_POST
def verify_pdf(request):
    """Check an uploaded PDF against every certificate we issued. The file is read into memory,
    hashed and dropped: nothing uploaded is stored."""
    allowed, seconds_left = throttle.verify_pdf_allowed(request)
    if not allowed:
        response = render(
            request,
            "certificates/verify_pdf_throttled.html",
            {"minutes": -(-seconds_left // 60), "per_window": settings.CE_VERIFY_PDF_CHECKS_PER_WINDOW},
            status=429,
        )
        response["Retry-After"] = str(seconds_left)
        return response  # refused before the body is read
    limit = settings.CE_VERIFY_UPLOAD_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + UPLOAD_ENVELOPE_BYTES:
        return _too_large(request)  # refused before the body is read
    handler = MemoryOnlyUploadHandler(limit, request)
    request.upload_handlers = [handler]
    return _verify_pdf(request, handler)


@csrf_protect
def _verify_pdf(request, handler):
    form = VerifyPdfForm(request.POST, request.FILES)
    if handler.too_large:
        return _too_large(request)
    if not form.is_valid():
        return _pdf_form_refused(request, form.errors["pdf"])
    content = form.cleaned_data["pdf"]
    certificate = selectors.certificate_for_pdf_hash(hashlib.sha256(content).hexdigest())
    if certificate is not None:
        replacement = getattr(certificate, "replaced_by", None)
        status = "valid" if certificate.is_live else "replaced" if replacement else "revoked"
        return render(
            request,
            "certificates/verify_pdf_result.html",
            {
                "certificate": certificate,
                "replacement": replacement,
                "status": status,
                "hours_label": pdf.contact_hours_label(certificate.contact_hours),
            },
        )
    claims = pdf_signing.read_claims(content, signing_keys.published_keys())
    return render(
        request,
        "certificates/verify_pdf_unknown.html",
        {
            "claims": claims,
            "names_our_certificate": selectors.certificate_serial_exists(claims.serial),
            "upload_limit": _upload_limit_label(),
        },
    )


@require_safe
def verify_keys(request):
    """The certificates of every signing key, current and retired, with their validity periods."""
    return render(request, "certificates/verify_keys.html", {"keys": signing_keys.published_keys()})


@require_safe
def verify_key_certificate(request, kid):
    key = signing_keys.key_by_kid(kid)
    if key is None:
        raise Http404("No such signing key.")
    response = HttpResponse(key.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{key.kid}.pem"'
    return response


@require_safe
def verify_code(request, code):
    certificate = selectors.certificate_for_verification(normalize_code(code))
    if certificate is None:
        return render(
            request, "certificates/verify_unknown.html", {"code": code, "form": VerifyForm()}, status=404
        )
    replacement = getattr(certificate, "replaced_by", None)
    return render(
        request,
        "certificates/verify_result.html",
        {
            "certificate": certificate,
            "replacement": replacement,
            "hours_label": pdf.contact_hours_label(certificate.contact_hours),
        },
    )


@login_required
@require_safe
def transcript_pdf(request):
    certificates, total = selectors.transcript_rows(user=request.user)
    user = request.user
    data = transcript.TranscriptData(
        learner_name=user.legal_name,
        learner_credentials=user.credentials,
        licenses=tuple(pdf.LicenseLine(lic.profession, lic.state, lic.number) for lic in user.licenses.all()),
        generated_at=timezone.localdate(),
        rows=tuple(
            transcript.TranscriptRow(
                course_title=c.course_title,
                completion_date=c.completion_date,
                contact_hours=c.contact_hours,
                serial=c.serial,
                verification_code=c.verification_code,
                status="Valid" if c.is_live else "Revoked",
            )
            for c in certificates
        ),
        total_hours=total,
        site_url=settings.SITE_URL,
        renewal_lines=tuple(
            row.summary for row in license_period_hours(user=user, certificates=certificates)
        ),
    )
    signed = pdf_signing.sign_with_current_key(
        transcript.render_transcript(data), reason=f"Transcript of {user.legal_name} from {settings.SITE_URL}"
    )
    return _pdf_response(signed.pdf, f"transcript-{date.today():%Y-%m-%d}.pdf")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate_manage(request, serial):
    """Revoke or re-issue a certificate: CE board reviewers and admins only (404 for anyone else)."""
    if not is_board_reviewer(request.user):
        raise Http404("No such certificate.")
    certificate = selectors.certificate_for_download(user=request.user, serial=serial)
    if certificate is None:
        raise Http404("No such certificate.")
    form = RevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            action = request.POST.get("action")
            try:
                if action == "reissue":
                    new = services.certificate_reissue(
                        certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
                    )
                    messages.success(request, f"Re-issued as {new.serial}; {certificate.serial} is revoked.")
                    return redirect("certificate_manage", serial=new.serial)
                services.certificate_revoke(
                    certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
                )
                messages.success(request, f"{certificate.serial} is revoked.")
                return redirect("certificate_manage", serial=certificate.serial)
            except services.CertificateError as error:
                messages.error(request, str(error))
        status = 400
    return render(
        request, "certificates/manage.html", {"certificate": certificate, "form": form}, status=status
    )
