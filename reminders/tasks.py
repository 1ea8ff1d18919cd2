"""The background task that sends one claimed reminder (django-tasks, like certificates/tasks.py).

The ReminderSent row was inserted before this runs (services.reminders_send); the task locks it,
and a row with `sent_at` set sends nothing, so a duplicate enqueue or a racing retry is harmless.
A failed send is recorded on the row and retried with the certificate email's backoff.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from certificates.tasks import retry_delay
from reminders import messages, selectors
from reminders.models import CATEGORY_OF_REASON, Reason, ReminderSent
from reminders.tokens import unsubscribe_token

logger = logging.getLogger(__name__)

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
    with transaction.atomic():
        row = ReminderSent.objects.select_for_update().select_related("recipient").get(pk=reminder_id)
        if row.sent_at is not None:
            return "already sent"
        category = CATEGORY_OF_REASON[Reason(row.reason)]
        if category.value in selectors.opted_out_categories(user_id=row.recipient_id):
            row.outcome = ReminderSent.Outcome.OPTED_OUT
            row.save(update_fields=["outcome"])
            return "opted out"
        row.attempts += 1
        try:
            email = reminder_email(row)
        except SubjectGone as gone:  # nothing to remind her of: record it, do not retry
            row.outcome = ReminderSent.Outcome.FAILED
            row.last_error = str(gone)
            row.save(update_fields=["attempts", "outcome", "last_error"])
            return "subject gone"
        try:
            email.send()
        except Exception as error:  # any transport failure: record it and try again later
            row.outcome = ReminderSent.Outcome.FAILED
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            row.save(update_fields=["attempts", "outcome", "last_error"])
            failure = error
        else:
            row.sent_at = timezone.now()
            row.outcome = ReminderSent.Outcome.SENT
            row.last_error = ""
            row.save(update_fields=["attempts", "sent_at", "outcome", "last_error"])
            return "sent"
    logger.warning("Reminder %s failed (attempt %s): %s", reminder_id, attempt, failure)
    if attempt < REMINDER_MAX_ATTEMPTS:
        next_task = reminder_email_send
        if next_task.get_backend().supports_defer:
            next_task = next_task.using(run_after=timezone.now() + retry_delay(attempt))
        next_task.enqueue(reminder_id, attempt + 1)
    raise failure
