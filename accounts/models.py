from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.states import STATE_CODES, US_STATES


class UserManager(BaseUserManager):
    """Users log in with their email address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses the site. The names are the legal names printed on certificates."""

    username = None
    email = models.EmailField("email address", unique=True)
    first_name = models.CharField("legal first name", max_length=150)
    last_name = models.CharField("legal last name", max_length=150)
    credentials = models.CharField(
        max_length=100, blank=True, help_text='As they should print after your name, e.g. "RN, BSN".'
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        constraints = [
            # Emails are compared without case so "Alice@x" and "alice@x" cannot both sign up.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    @property
    def legal_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def name_with_credentials(self):
        return f"{self.legal_name}, {self.credentials}" if self.credentials else self.legal_name


class Profession(models.TextChoices):
    RN = "RN", "Registered Nurse (RN)"
    LPN = "LPN", "Licensed Practical Nurse (LPN)"
    LVN = "LVN", "Licensed Vocational Nurse (LVN)"
    APRN = "APRN", "Advanced Practice Registered Nurse (APRN)"
    CNS = "CNS", "Clinical Nurse Specialist (CNS)"
    CRNA = "CRNA", "Certified Registered Nurse Anesthetist (CRNA)"
    CNM = "CNM", "Certified Nurse-Midwife (CNM)"


class License(models.Model):
    """A nursing license. A nurse may hold several (multistate practice); one is primary."""

    Profession = Profession

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="licenses")
    state = models.CharField(max_length=2, choices=US_STATES)
    number = models.CharField("license number", max_length=40)
    profession = models.CharField(max_length=4, choices=Profession.choices)
    is_primary = models.BooleanField("primary license", default=False)
    # Optional: when set, the transcript shows hours earned in the current renewal period and a
    # reminder goes out before it when she is short (reminders app).
    renewal_date = models.DateField(
        "renewal date", null=True, blank=True, help_text="The date this license is next due for renewal."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "state", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=STATE_CODES), name="license_state_valid"),
            models.CheckConstraint(condition=~Q(number=""), name="license_number_not_empty"),
            models.CheckConstraint(
                condition=Q(profession__in=[p.value for p in Profession]), name="license_profession_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "state", "profession", "number"], name="license_unique_per_user"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_primary=True), name="license_one_primary_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.profession} {self.state} {self.number}"
