from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from reminders import services
from reminders.models import Category
from reminders.tokens import unsubscribe_claim


def _user_for_token(token):
    """(user, category) the token was issued for, or None when it is not ours, altered, or its
    address is no longer the account's (it was sent to someone else's inbox then)."""
    claim = unsubscribe_claim(token)
    if claim is None or claim.category not in Category.values:
        return None
    user = get_user_model().objects.filter(pk=claim.user_id).first()
    if user is None or user.email.lower() != claim.email:
        return None
    return user, Category(claim.category)


# No log-in and no CSRF token: the signed token is the authority, and mail clients' one-click
# unsubscribe (RFC 8058) POSTs "List-Unsubscribe=One-Click" with no cookie and no form token.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    found = _user_for_token(token)
    if found is None:
        return render(request, "reminders/unsubscribe_invalid.html", status=400)
    user, category = found
    if request.method == "POST":
        services.reminder_opt_out(user=user, category=category)
        return render(request, "reminders/unsubscribe_done.html", {"email": user.email, "category": category})
    # A GET only asks: link scanners and previews open links, and must not unsubscribe anyone.
    return render(request, "reminders/unsubscribe_confirm.html", {"email": user.email, "category": category})


@login_required
@require_POST
def preferences(request):
    wanted = {value for value in request.POST.getlist("receive") if value in Category.values}
    services.reminder_preferences_save(user=request.user, wanted=wanted)
    messages.success(request, "Your reminder settings are saved.")
    return redirect("profile")
