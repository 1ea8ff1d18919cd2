"""Reminder emails: what each state requires for renewal, what was sent, and who opted out."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Profession
from accounts.states import STATE_CODES, US_STATES


class Category(models.TextChoices):
    """What a nurse can unsubscribe from: one switch per kind of reminder, not per email."""

    COURSES = "courses", "Courses I have started (idle course, course about to expire)"
    RENEWAL = "renewal", "License renewal (contact hours short before renewal)"
    AUTHORING = "authoring", "Courses I author (course about to expire)"


class Reason(models.TextChoices):
    IDLE_14 = "idle_14", "Course idle for 14 days"
    IDLE_30 = "idle_30", "Course idle for 30 days"
    COURSE_EXPIRY_30 = "course_expiry_30", "Started course expires in 30 days"
    AUTHOR_EXPIRY_90 = "author_expiry_90", "Authored course expires in 90 days"
    AUTHOR_EXPIRY_30 = "author_expiry_30", "Authored course expires in 30 days"
    RENEWAL_60 = "renewal_60", "License renewal in 60 days, hours short"


CATEGORY_OF_REASON = {
    Reason.IDLE_14: Category.COURSES,
    Reason.IDLE_30: Category.COURSES,
    Reason.COURSE_EXPIRY_30: Category.COURSES,
    Reason.AUTHOR_EXPIRY_90: Category.AUTHORING,
    Reason.AUTHOR_EXPIRY_30: Category.AUTHORING,
    Reason.RENEWAL_60: Category.RENEWAL,
}


class StateRequirement(models.Model):
    """Contact hours a state's board requires per renewal period for one profession (admin data)."""

    state = models.CharField(max_length=2, choices=US_STATES)
    profession = models.CharField(max_length=4, choices=Profession.choices)
    hours = models.DecimalField("contact hours required", max_digits=5, decimal_places=2)
    period_months = models.PositiveSmallIntegerField(
        "renewal period (months)",
        help_text="24 for a biennium. The period ends on the license's renewal date.",
    )
    source_citation = models.CharField(
        max_length=300, help_text="The rule or statute, e.g. Rule 64B9-5.002, Florida Administrative Code."
    )
    source_url = models.URLField("source URL", max_length=300)
    notes = models.TextField(blank=True, help_text="Topic-specific hours and exemptions we do not check.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["state", "profession"]
        constraints = [
            models.UniqueConstraint(
                fields=["state", "profession"], name="staterequirement_one_per_state_profession"
            ),
            models.CheckConstraint(condition=Q(state__in=STATE_CODES), name="staterequirement_state_valid"),
            models.CheckConstraint(
                condition=Q(profession__in=[p.value for p in Profession]),
                name="staterequirement_profession_valid",
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=Decimal("0")), name="staterequirement_hours_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_months__gte=1), name="staterequirement_period_positive"
            ),
        ]

    def __str__(self):
        return f"{self.profession} {self.state}: {self.hours} h / {self.period_months} months"


class ReminderSent(models.Model):
    """One reminder, claimed before it is sent: the unique constraint is what stops a second send.

    `subject_key` names what the reminder is about ("course:12", "license:7"); `period` names the
    occasion ("2026-11-01": the day she was last active, the expiry or the renewal date), so a new
    idle spell or a moved date is a new reminder while the same one is never sent twice.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Claimed, not sent yet"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retrying or given up)"
        OPTED_OUT = "opted_out", "Not sent: unsubscribed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    subject_key = models.CharField(max_length=40)
    period = models.CharField(max_length=20)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set while one run sends, outside any transaction (ce_course.deliveries): a second run stops.
    sending_since = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        verbose_name = "reminder sent"
        verbose_name_plural = "reminders sent"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "reason", "subject_key", "period"], name="remindersent_once_per_occasion"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=[r.value for r in Reason]), name="remindersent_reason_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} to {self.recipient} ({self.subject_key}, {self.period})"


class ReminderOptOut(models.Model):
    """She asked for no more reminders of this category. No row: she gets them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    category = models.CharField(max_length=12, choices=Category.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="reminderoptout_one_per_category"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]), name="reminderoptout_category_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} opted out of {self.category}"
