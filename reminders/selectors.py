"""Reads for reminders: what is due today, her preferences, and her hours per renewal period."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import AUTHORS
from modules.models import Course, Enrollment
from reminders import rules
from reminders.models import CATEGORY_OF_REASON, Category, Reason, ReminderOptOut, StateRequirement


@dataclass(frozen=True)
class Due:
    """A reminder that should go out, before it is claimed. (recipient, reason, subject, period) is its identity."""

    recipient_id: int
    reason: Reason
    subject_key: str
    period: str

    @property
    def category(self) -> Category:
        return CATEGORY_OF_REASON[self.reason]


def _idle_and_expiry_due(today: date) -> list[Due]:
    """Her unfinished enrolments in courses still giving credit: idle reminders and the expiry one."""
    enrollments = (
        Enrollment.objects.filter(
            completed_at__isnull=True, user__is_active=True, course__expiry_date__gte=today
        )
        .annotate(last_active=Coalesce(Max("progress__last_seen_at"), "disclosures_acknowledged_at"))
        .values_list("user_id", "course_id", "course__expiry_date", "last_active")
    )
    due = []
    for user_id, course_id, expiry_date, last_active in enrollments:
        subject = f"course:{course_id}"
        last_active_day = timezone.localdate(last_active)
        reason = rules.idle_reason(last_active=last_active_day, today=today)
        if reason is not None:
            due.append(Due(user_id, reason, subject, last_active_day.isoformat()))
        if rules.course_expiry_due(expiry_date=expiry_date, today=today):
            due.append(Due(user_id, Reason.COURSE_EXPIRY_30, subject, expiry_date.isoformat()))
    return due


def course_author_ids():
    """Who hears about a course's expiry. Courses name their planners and authors as text only
    (modules.Planner has no user), so every active member of the Authors group is told."""
    return list(
        get_user_model().objects.filter(is_active=True, groups__name=AUTHORS).values_list("pk", flat=True)
    )


def _author_due(today: date) -> list[Due]:
    courses = Course.objects.filter(is_published=True, expiry_date__gte=today).values_list(
        "pk", "expiry_date"
    )
    due = []
    author_ids = None
    for course_id, expiry_date in courses:
        reason = rules.author_expiry_reason(expiry_date=expiry_date, today=today)
        if reason is None:
            continue
        if author_ids is None:
            author_ids = course_author_ids()
        due += [
            Due(author_id, reason, f"course:{course_id}", expiry_date.isoformat()) for author_id in author_ids
        ]
    return due


@dataclass(frozen=True)
class LicensePeriodHours:
    """Her hours in one license's current renewal period against what the state requires."""

    license_id: int
    label: str
    renewal_date: date
    requirement: StateRequirement | None
    start: date | None
    hours: Decimal | None

    @property
    def summary(self) -> str:
        """One line for the transcript PDF."""
        if self.requirement is None:
            return (
                f"{self.label}: renews {self.renewal_date:%Y-%m-%d}; no requirement on file for this state."
            )
        return (
            f"{self.label}: {self.hours} of {self.requirement.hours} contact hours earned here from "
            f"{self.start:%Y-%m-%d} to the renewal on {self.renewal_date:%Y-%m-%d}."
        )

    @property
    def short_by(self) -> Decimal | None:
        if self.requirement is None or self.hours is None:
            return None
        return max(self.requirement.hours - self.hours, Decimal("0.00"))


def license_period_hours(*, user, certificates=None) -> list[LicensePeriodHours]:
    """For each of her licenses with a renewal date: hours earned in the period ending on it.

    `certificates`: her certificates when the caller has read them already (the dashboard); only
    live ones count. A license whose state and profession have no StateRequirement gets no period
    (its length is not known) and no hours.
    """
    licenses = list(user.licenses.filter(renewal_date__isnull=False))
    if not licenses:
        return []
    if certificates is None:
        certificates = user.certificates.filter(revoked_at__isnull=True).only(
            "completion_date", "contact_hours"
        )
    completions = [(c.completion_date, c.contact_hours) for c in certificates if c.revoked_at is None]
    requirements = {
        (r.state, r.profession): r
        for r in StateRequirement.objects.filter(
            state__in={lic.state for lic in licenses}, profession__in={lic.profession for lic in licenses}
        )
    }
    rows = []
    for lic in licenses:
        requirement = requirements.get((lic.state, lic.profession))
        start = hours = None
        if requirement is not None:
            start, end = rules.renewal_period(
                renewal_date=lic.renewal_date, period_months=requirement.period_months
            )
            hours = rules.hours_in_period(completions, start=start, end=end)
        rows.append(
            LicensePeriodHours(
                license_id=lic.pk,
                label=f"{lic.profession} {lic.state} {lic.number}",
                renewal_date=lic.renewal_date,
                requirement=requirement,
                start=start,
                hours=hours,
            )
        )
    return rows


def _renewal_due(today: date) -> list[Due]:
    from accounts.models import License

    user_ids = (
        License.objects.filter(user__is_active=True, renewal_date__gte=today)
        .filter(renewal_date__lte=date.fromordinal(today.toordinal() + rules.RENEWAL_DAYS))
        .values_list("user_id", flat=True)
        .distinct()
    )
    due = []
    for user in get_user_model().objects.filter(pk__in=list(user_ids)):
        for row in license_period_hours(user=user):
            if not rules.renewal_due(renewal_date=row.renewal_date, today=today):
                continue
            if row.short_by:  # None (no requirement on file) or 0 (enough hours): nothing to say
                due.append(
                    Due(user.pk, Reason.RENEWAL_60, f"license:{row.license_id}", row.renewal_date.isoformat())
                )
    return due


def reminders_due(*, today: date) -> list[Due]:
    """Every reminder that should have gone out by `today`, whether or not it already has."""
    return _idle_and_expiry_due(today) + _author_due(today) + _renewal_due(today)


def opted_out_categories(*, user_id: int) -> set[str]:
    return set(ReminderOptOut.objects.filter(user_id=user_id).values_list("category", flat=True))


def reminder_preferences(*, user) -> list[tuple[Category, bool]]:
    """(category, receives it) for each category, in display order."""
    out = opted_out_categories(user_id=user.pk)
    return [(category, category.value not in out) for category in Category]
