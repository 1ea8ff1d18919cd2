"""Send one message (an email, a score to an LMS) at most once, with no database transaction open
while the network call runs; record the outcome; retry a failure later with backoff.

Used by certificates/tasks.py, reminders/tasks.py and lti/tasks.py. Each of their rows has
`attempts`, `sent_at`, `last_error` and `sending_since`. One run of `deliver`:

1. claims the row in a short transaction: locks it (skipping a row another worker holds, on
   PostgreSQL), stops if `sent_at` is set or another run claimed it less than SEND_LEASE ago,
   else adds one to `attempts` and sets `sending_since`;
2. sends, outside any transaction: on SQLite (transaction_mode IMMEDIATE) an open transaction
   would lock every web writer out of the database for the length of an SMTP or HTTP call;
3. records the result in a second short transaction, and on failure enqueues the same task again
   with `attempt + 1`, deferred by `retry_delay(attempt)`, up to `max_attempts`.

A worker that dies between 2 and 3 leaves the claim; a duplicate run within SEND_LEASE sends
nothing, so a message is sent at most once, never twice, even then.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
# Longer than any one send can take (EMAIL_TIMEOUT per SMTP step, the LTI request timeouts).
SEND_LEASE = timedelta(minutes=10)


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` (1-based) the next one runs: 1, 4, 16, 64, 256 min."""
    return FIRST_RETRY * 4 ** (attempt - 1)


class Skip(Exception):
    """Raised by `prepare`: nothing should be sent; `fields` are saved on the row, `result` returned."""

    def __init__(self, result: str, **fields):
        super().__init__(result)
        self.result = result
        self.fields = fields


def _claim(rows: QuerySet, lookup: dict, prepare: Callable):
    """(row, send) once claimed, or (None, outcome) when this run must send nothing."""
    with transaction.atomic():
        features = connection.features
        # of=self: lock the row only, not the rows it is joined to (the recipient's user row).
        locked = rows.select_for_update(
            skip_locked=features.has_select_for_update_skip_locked,
            of=("self",) if features.has_select_for_update_of else (),
        )
        row = locked.filter(**lookup).first()
        if row is None:
            rows.get(**lookup)  # a missing row raises DoesNotExist; a locked one is another worker's
            return None, "claimed by another run"
        if row.sent_at is not None:
            return None, "already sent"
        if row.sending_since is not None and row.sending_since > timezone.now() - SEND_LEASE:
            return None, "claimed by another run"
        try:
            send = prepare(row)
        except Skip as skip:
            for name, value in skip.fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(skip.fields))
            return None, skip.result
        row.attempts += 1
        row.sending_since = timezone.now()
        row.save(update_fields=["attempts", "sending_since"])
        return row, send


def deliver(
    *,
    rows: QuerySet,
    lookup: dict,
    prepare: Callable,
    task,
    task_args: tuple,
    attempt: int,
    max_attempts: int,
    sent_fields: dict | None = None,
    failed_fields: dict | None = None,
) -> str:
    """Claim the row `rows.get(**lookup)`, send, record; return what happened.

    `prepare(row)` runs inside the claim transaction and returns a no-argument callable that does
    the network call (it may read the database, never the network), or raises Skip. The callable
    runs with no transaction open. `sent_fields` and `failed_fields` are extra columns saved with
    the outcome. On failure, the error is recorded, the retry enqueued (`task.enqueue(*task_args,
    attempt + 1)`) and the error raised again so the task's result records it.
    """
    row, send = _claim(rows, lookup, prepare)
    if row is None:
        return send
    try:
        send()
    except Exception as error:  # any transport failure: record it and try again later
        rows.model.objects.filter(pk=row.pk).update(
            sending_since=None, last_error=f"{type(error).__name__}: {error}"[:1000], **(failed_fields or {})
        )
        failure = error
    else:
        rows.model.objects.filter(pk=row.pk).update(
            sending_since=None, sent_at=timezone.now(), last_error="", **(sent_fields or {})
        )
        return "sent"
    logger.warning("%s %s failed (attempt %s): %s", rows.model.__name__, lookup, attempt, failure)
    if attempt < max_attempts:
        next_task = task
        if next_task.get_backend().supports_defer:
            next_task = next_task.using(run_after=timezone.now() + retry_delay(attempt))
        # A backend that cannot defer (the immediate one of the tests) runs the retry at once.
        next_task.enqueue(*task_args, attempt + 1)
    raise failure
