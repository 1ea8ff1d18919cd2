"""Send a score to the platform's line item (AGS), as a background task that retries.

The Tasks API has no automatic retry, so a failed send enqueues itself again with `attempt + 1`,
deferred by `retry_delay(attempt)` (1, 4, 16, 64 minutes) when the backend can defer, at most
SCORE_MAX_ATTEMPTS times. The ScoreSend row makes it idempotent: a row with `sent_at` is not sent again.
"""

import logging
from datetime import timedelta

import requests
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from lti.models import ScoreSend
from lti.tool_conf import registration_for

logger = logging.getLogger(__name__)

SCORE_MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
REQUEST_TIMEOUT_SECONDS = 20


def retry_delay(attempt: int) -> timedelta:
    return FIRST_RETRY * 4 ** (attempt - 1)


class _TimeoutSession(requests.Session):
    """The library sets no timeout; a platform that never answers must not hold the worker."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def grade_for(send: ScoreSend) -> Grade:
    return (
        Grade()
        .set_score_given(float(send.score_given))
        .set_score_maximum(float(send.score_maximum))
        .set_activity_progress(send.activity_progress)
        .set_grading_progress(send.grading_progress)
        .set_timestamp(send.timestamp.isoformat())
        .set_user_id(send.link.identity.sub)
    )


def _post(send: ScoreSend) -> None:
    link = send.link
    connector = ServiceConnector(registration_for(link.identity.platform), _TimeoutSession())
    service = AssignmentsGradesService(connector, {"scope": link.scopes, "lineitem": link.lineitem_url})
    service.put_grade(grade_for(send))


@task()
def score_send(send_id: int, attempt: int = 1) -> str:
    """Post ScoreSend `send_id` to its line item unless it was sent already; on failure, retry later."""
    with transaction.atomic():
        send = (
            ScoreSend.objects.select_for_update().select_related("link__identity__platform").get(pk=send_id)
        )
        if send.sent_at is not None:
            return "already sent"
        send.attempts += 1
        try:
            _post(send)
        except Exception as error:  # any failure of the platform or the network: record, retry
            send.last_error = f"{type(error).__name__}: {error}"[:1000]
            send.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            send.sent_at = timezone.now()
            send.last_error = ""
            send.save(update_fields=["attempts", "sent_at", "last_error"])
            return "sent"
    logger.warning("LTI score %s failed (attempt %s): %s", send_id, attempt, failure)
    if attempt < SCORE_MAX_ATTEMPTS:
        next_task = score_send
        if next_task.get_backend().supports_defer:
            next_task = next_task.using(run_after=timezone.now() + retry_delay(attempt))
        # A backend that cannot defer (the immediate one of the tests) runs the retry at once.
        next_task.enqueue(send_id, attempt + 1)
    raise failure
