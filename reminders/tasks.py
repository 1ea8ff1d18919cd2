"""The background task that sends one claimed reminder (django-tasks, like certificates/tasks.py).

The ReminderSent row was inserted before this runs (services.reminders_send). ce_course.deliveries
claims it, sends outside any transaction and records the outcome; a row with `sent_at` set sends
nothing, so a duplicate enqueue or a racing retry is harmless. A failed send is retried with backoff.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from ce_course.deliveries import Skip, deliver
from reminders import messages, selectors
from reminders.models import CATEGORY_OF_REASON, Reason, ReminderSent
from reminders.tokens import unsubscribe_token

REMINDER_MAX_ATTEMPTS = 4


class SubjectGone(Exception):
    """What the reminder was about no longer calls for it (license removed, requirement deleted)."""


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(*, user, category: str) -> str:
    token = unsubscribe_token(user_id=user.pk, email=user.email, category=category)
    return _absolute(reverse("reminder_unsubscribe", args=[token]))


def reminder_text(row: ReminderSent) -> messages.ReminderText:
    """The words for a claimed reminder, read from what its subject is now."""
    from accounts.models import License
    from modules.models import Course

    kind, _, pk = row.subject_key.partition(":")
    reason = Reason(row.reason)
    if kind == "course":
        course = Course.objects.get(pk=int(pk))
        if reason in (Reason.AUTHOR_EXPIRY_90, Reason.AUTHOR_EXPIRY_30):
            return messages.author_text(
                reason=reason,
                course_title=course.title,
                expiry_date=course.expiry_date,
                admin_url=_absolute(reverse("admin:modules_course_change", args=[course.pk])),
            )
        return messages.course_text(
            reason=reason,
            course_title=course.title,
            expiry_date=course.expiry_date,
            course_url=_absolute(course.learner_url),
        )
    license_ = License.objects.select_related("user").filter(pk=int(pk)).first()
    rows = (
        [r for r in selectors.license_period_hours(user=license_.user) if r.license_id == license_.pk]
        if license_
        else []
    )
    if not rows or rows[0].requirement is None:
        raise SubjectGone(f"{row.subject_key} has no renewal date or requirement any more")
    hours = rows[0]
    return messages.renewal_text(
        license_label=f"{license_.profession} ({license_.state})",
        renewal_date=license_.renewal_date,
        hours=hours.hours,
        required=hours.requirement.hours,
        dashboard_url=_absolute(reverse("dashboard") + "#renewal-hours"),
    )


def reminder_email(row: ReminderSent) -> EmailMultiAlternatives:
    """Plain text and HTML, with the RFC 8058 one-click unsubscribe headers."""
    user = row.recipient
    category = CATEGORY_OF_REASON[Reason(row.reason)]
    text = reminder_text(row)
    link = unsubscribe_url(user=user, category=category.value)
    name = user.first_name or user.email
    context = {"text": text, "name": name, "unsubscribe_url": link, "category_label": category.label}
    email = EmailMultiAlternatives(
        subject=text.subject,
        body=messages.plain_text(text, name=name, unsubscribe_url=link, category_label=category.label),
        to=[user.email],
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    email.attach_alternative(render_to_string("reminders/email.html", context), "text/html")
    return email


@task()
def reminder_email_send(reminder_id: int, attempt: int = 1) -> str:
    """Send claimed reminder `reminder_id` unless it was sent already or she has unsubscribed since."""

    def prepare(row):
        category = CATEGORY_OF_REASON[Reason(row.reason)]
        if category.value in selectors.opted_out_categories(user_id=row.recipient_id):
            raise Skip("opted out", outcome=ReminderSent.Outcome.OPTED_OUT)
        try:
            email = reminder_email(row)
        except SubjectGone as gone:  # nothing to remind her of: record it, do not retry
            raise Skip(
                "subject gone",
                attempts=row.attempts + 1,
                outcome=ReminderSent.Outcome.FAILED,
                last_error=str(gone),
            ) from gone
        return email.send

    return deliver(
        rows=ReminderSent.objects.select_related("recipient"),
        lookup={"pk": reminder_id},
        prepare=prepare,
        task=reminder_email_send,
        task_args=(reminder_id,),
        attempt=attempt,
        max_attempts=REMINDER_MAX_ATTEMPTS,
        sent_fields={"outcome": ReminderSent.Outcome.SENT},
        failed_fields={"outcome": ReminderSent.Outcome.FAILED},
    )
