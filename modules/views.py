from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from certificates.selectors import transcript_rows
from modules import selectors, services
from modules.forms import EnrolForm
from reminders.selectors import license_period_hours


def _course_or_404(slug):
    course = selectors.course_for_learner(slug)
    if course is None:
        raise Http404("No such course.")
    return course


def _module_or_404(progress, module_slug):
    for state in progress.modules:
        if state.module.slug == module_slug:
            return state
    raise Http404("No such module.")


@require_safe
def catalogue(request):
    return render(
        request,
        "modules/catalogue.html",
        {
            "courses": selectors.catalogue_courses(),
            "enrolled_ids": selectors.enrolled_course_ids(user=request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def course_detail(request, slug):
    course = _course_or_404(slug)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                services.enrollment_create(user=request.user, course=course)
            except services.LearnerPathError as error:
                messages.error(request, str(error))
                return redirect("course_detail", slug=course.slug)
            progress = selectors.course_progress(user=request.user, course=course)
            messages.success(request, "You are enrolled. Start with the first module.")
            return redirect(progress.continue_url)
    progress = selectors.course_progress(user=request.user, course=course)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "modules/course_detail.html",
        {
            "course": course,
            "progress": progress,
            "form": form,
            "is_expired": course.is_expired(timezone.localdate()),
            "provider": course.provider,
            # The shipped example provider is fine while developing; in production it is a mistake
            # to point out (not to block: an admin may be trying the site before entering details).
            "show_example_warning": course.provider.is_example and not settings.DEBUG,
        },
        status=status,
    )


@login_required
@require_safe
def module_detail(request, course_slug, module_slug):
    course = _course_or_404(course_slug)
    progress = selectors.lesson_progress(user=request.user, course=course)
    state = _module_or_404(progress, module_slug)
    if not progress.is_enrolled:
        messages.info(request, "Read the disclosures and enrol to open the modules.")
        return redirect("course_detail", slug=course.slug)
    if state.is_locked:
        return render(
            request,
            "modules/module_locked.html",
            {
                "course": course,
                "progress": progress,
                "module": state.module,
                "open_module": progress.next_module,
            },
            status=403,
        )
    services.module_view_record(progress=progress, module=state.module)
    previous, following = progress.neighbours(state.module)
    return render(
        request,
        "modules/module_detail.html",
        {
            "course": course,
            "progress": progress,
            "module": state.module,
            "state": state,
            "previous": previous,
            "next": following,
        },
    )


@login_required
@require_POST
def module_complete(request, course_slug, module_slug):
    course = _course_or_404(course_slug)
    progress = selectors.course_progress(user=request.user, course=course)
    state = _module_or_404(progress, module_slug)
    if not progress.is_enrolled:
        messages.info(request, "Read the disclosures and enrol to open the modules.")
        return redirect("course_detail", slug=course.slug)
    try:
        services.module_complete(enrollment=progress.enrollment, module=state.module)
    except services.LearnerPathError as error:
        messages.error(request, str(error))
        return redirect("course_detail", slug=course.slug)
    _, following = progress.neighbours(state.module)
    if following is not None:
        messages.success(request, f"“{state.module.title}” is complete.")
        return redirect("module_detail", course_slug=course.slug, module_slug=following.slug)
    messages.success(request, "You have completed every module of this course.")
    return redirect("course_detail", slug=course.slug)


@login_required
@require_safe
def dashboard(request):
    certificates, total_hours = transcript_rows(user=request.user)
    return render(
        request,
        "modules/dashboard.html",
        {
            "rows": selectors.dashboard_progress(user=request.user, certificates=certificates),
            "certificates": certificates,
            "total_hours": total_hours,
            # Hours per license in its current renewal period (reminders app; licenses with a renewal date).
            "renewal_hours": license_period_hours(user=request.user, certificates=certificates),
        },
    )


# Sent with every SVG we serve, in case one is opened on its own: even if something slipped past
# the sanitiser, a sandboxed document with no sources allowed can run and fetch nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_safe
def image_file(request, name):
    """An image's bytes from the storage. Names hold the content hash, so a name's bytes never change."""
    found = selectors.image_file_read(name)
    if found is None:
        raise Http404("No such image.")
    response = _image_response(*found)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_safe
def provider_signature_file(request, name):
    """The nurse planner's signature image, for staff only (the admin's preview): it is a
    handwritten signature, so no one else may fetch it, even with its URL."""
    if not (request.user.is_active and request.user.is_staff):
        raise Http404("No such image.")
    found = selectors.image_file_read(name, folder=selectors.SIGNATURE_FOLDER)
    if found is None:
        raise Http404("No such image.")
    response = _image_response(*found)
    response["Cache-Control"] = "private, no-store"
    return response


def _image_response(data, content_type):
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if content_type == "image/svg+xml":
        response["Content-Security-Policy"] = SVG_POLICY
    return response
