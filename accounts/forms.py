import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.db.models import Sum
from django.utils import timezone

from accounts.models import License, User


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "credentials")
        help_texts = {
            "first_name": "Exactly as it should print on your certificates.",
            "last_name": "Exactly as it should print on your certificates.",
        }

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists. Log in instead.")
        return email


class _ThrottledLogin:
    """The address limit and the slow-down, for every log-in form (the site's and the admin's):
    django-axes' account lock covers both through its authentication backend, and these must too,
    or the admin's log-in would be a way around them."""

    def clean(self):
        if self.request is not None and address_is_locked(self.request):
            # AxesMiddleware turns a request marked this way into the lock-out page (429), the
            # same answer as a locked account; the password is not even tried.
            self.request.axes_locked_out = True
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        try:
            return super().clean()
        except forms.ValidationError:
            if not getattr(self.request, "axes_locked_out", False):
                _slow_down_repeated_failures(self.cleaned_data.get("username"))
            raise


class LoginForm(_ThrottledLogin, AuthenticationForm):
    username = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autofocus": True}))


class AdminLoginForm(_ThrottledLogin, AdminAuthenticationForm):
    pass


def _failures(**where):
    """Failed log-ins recorded by django-axes within its cool-off window, counted as it counts them
    (a record lives for the cool-off time after its latest failure; a success deletes the
    account's records)."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since, **where)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def address_is_locked(request):
    """True once one address has AXES_ADDRESS_FAILURE_LIMIT failed log-ins across all accounts.

    django-axes locks the account (AXES_LOCKOUT_PARAMETERS = ["username"]); it has one failure
    limit, so the address, which must tolerate a whole hospital behind one NAT address, gets
    its own, much higher threshold here (settings.py says how it was chosen).
    """
    from axes.helpers import get_client_ip_address

    address = get_client_ip_address(request)
    return bool(address) and _failures(ip_address=address) >= settings.AXES_ADDRESS_FAILURE_LIMIT


def _slow_down_repeated_failures(username):
    """From the AXES_SLOW_AFTER_FAILURES-th failure in a row on an account, answer slowly, so
    guessing costs time even before the lock.

    Bounded: once the account is locked, django-axes answers at once with its lock-out page.
    """
    if username and _failures(username=username) >= settings.AXES_SLOW_AFTER_FAILURES:
        time.sleep(settings.AXES_SLOW_SECONDS)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "credentials")
        help_texts = {
            "first_name": "Your legal first name, as it prints on certificates issued from now on.",
            "last_name": "Your legal last name, as it prints on certificates issued from now on.",
        }

    def clean_first_name(self):
        return _required_text(self.cleaned_data["first_name"], "first name")

    def clean_last_name(self):
        return _required_text(self.cleaned_data["last_name"], "last name")


def _required_text(value, label):
    value = (value or "").strip()
    if not value:
        raise forms.ValidationError(f"Please enter your legal {label}.")
    return value


class LicenseForm(forms.ModelForm):
    class Meta:
        model = License
        fields = ("profession", "state", "number", "is_primary", "renewal_date")
        labels = {"state": "State or territory of the license"}
        help_texts = {
            "is_primary": "Certificates list your primary license first.",
            "renewal_date": "Optional. Your transcript then shows the contact hours earned in this renewal period, "
            "and we remind you 60 days before if you are short.",
        }
        widgets = {"renewal_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["number"].error_messages["required"] = (
            "Enter the license number exactly as your board issued it."
        )
        self.fields["state"].error_messages["required"] = "Choose the state that issued the license."
        self.fields["state"].error_messages["invalid_choice"] = (
            "Choose the state that issued the license (a US postal code such as FL or NY)."
        )

    def clean_number(self):
        number = (self.cleaned_data.get("number") or "").strip().upper()
        if not number:
            raise forms.ValidationError("Enter the license number exactly as your board issued it.")
        if not all(ch.isalnum() or ch in "-. " for ch in number):
            raise forms.ValidationError(
                "A license number may contain only letters, digits, spaces, dots and dashes."
            )
        return number

    def clean(self):
        cleaned = super().clean()
        state, profession, number = cleaned.get("state"), cleaned.get("profession"), cleaned.get("number")
        if state and profession and number:
            duplicates = License.objects.filter(
                user=self.user, state=state, profession=profession, number=number
            )
            if self.instance.pk:
                duplicates = duplicates.exclude(pk=self.instance.pk)
            if duplicates.exists():
                raise forms.ValidationError("You have already recorded this license.")
        return cleaned
