"""Writes for reminders: claiming and enqueueing what is due, and her preferences."""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from reminders import selectors
from reminders.models import Category, ReminderOptOut, ReminderSent
from reminders.tasks import reminder_email_send

logger = logging.getLogger(__name__)


@dataclass
class SendCounts:
    claimed: int = 0
    already_claimed: int = 0
    opted_out: int = 0
    by_reason: dict = field(default_factory=dict)


def reminder_claim(due: selectors.Due) -> ReminderSent | None:
    """Insert the log row for `due`, or None when it exists (this run or another got there first).

    Insert-first: the unique constraint decides, so two runs at once, on one machine or two,
    claim each reminder exactly once; the loser's INSERT fails (PostgreSQL makes it wait for the
    winner's commit first) and it moves on.
    """
    try:
        with transaction.atomic():
            row = ReminderSent.objects.create(
                recipient_id=due.recipient_id,
                reason=due.reason,
                subject_key=due.subject_key,
                period=due.period,
                claimed_at=timezone.now(),
            )
            # Sent after the claim has committed, so a worker never looks for a row not yet visible.
            transaction.on_commit(lambda: reminder_email_send.enqueue(row.pk))
    except IntegrityError:
        return None
    return row


def reminders_send(*, today: date | None = None) -> SendCounts:
    """Claim and enqueue every reminder due today that has not been claimed before.

    A reminder she has unsubscribed from is not claimed, so opting back in before its occasion
    passes still brings it.
    """
    today = today or timezone.localdate()
    counts = SendCounts()
    opted_out = {}
    for due in selectors.reminders_due(today=today):
        if due.recipient_id not in opted_out:
            opted_out[due.recipient_id] = selectors.opted_out_categories(user_id=due.recipient_id)
        if due.category.value in opted_out[due.recipient_id]:
            counts.opted_out += 1
            continue
        if reminder_claim(due) is None:
            counts.already_claimed += 1
            continue
        counts.claimed += 1
        counts.by_reason[due.reason.value] = counts.by_reason.get(due.reason.value, 0) + 1
    logger.info("Reminders for %s: %s", today, counts)
    return counts


def reminder_opt_out(*, user, category: Category) -> None:
    """Idempotent: unsubscribing twice (a link clicked twice, a mail client's one-click) is fine."""
    ReminderOptOut.objects.get_or_create(user=user, category=category.value)


def reminder_preferences_save(*, user, wanted: set[str]) -> None:
    """She receives exactly the categories in `wanted`; the rest are opted out."""
    with transaction.atomic():
        ReminderOptOut.objects.filter(user=user, category__in=wanted).delete()
        for category in Category:
            if category.value not in wanted:
                ReminderOptOut.objects.get_or_create(user=user, category=category.value)
