from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import LicenseForm, ProfileForm, SignUpForm
from accounts.models import License
from reminders.selectors import reminder_preferences


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="accounts.backends.CachedUserBackend")
        messages.success(request, "Welcome! Add your nursing license so it prints on your certificates.")
        return redirect("profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "licenses": request.user.licenses.all(),
            "reminder_preferences": reminder_preferences(user=request.user),
        },
        status=status,
    )


def _own_license_or_404(request, pk):
    # Another nurse's license answers 404, so its existence does not leak.
    return get_object_or_404(License, pk=pk, user=request.user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def license_edit(request, pk=None):
    instance = _own_license_or_404(request, pk) if pk else None
    form = LicenseForm(
        request.POST if request.method == "POST" else None, instance=instance, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        services.license_save(user=request.user, form=form)
        messages.success(request, "License saved.")
        return redirect("profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/license_form.html", {"form": form, "license": instance}, status=status)


@login_required
@require_POST
def license_delete(request, pk):
    services.license_delete(license_=_own_license_or_404(request, pk))
    messages.success(request, "License removed.")
    return redirect("profile")
