"""Send a score to the platform's line item (AGS), as a background task that retries.

ce_course.deliveries claims the ScoreSend row, makes the requests outside any transaction, records
the outcome and retries a failure with backoff (1, 4, 16, 64 minutes), at most SCORE_MAX_ATTEMPTS
times. The row makes it idempotent: a row with `sent_at` is not sent again.
"""

import requests
from django_tasks import task
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector
from requests.adapters import HTTPAdapter

from ce_course.deliveries import deliver
from lti.models import ScoreSend
from lti.tool_conf import registration_for

SCORE_MAX_ATTEMPTS = 5
REQUEST_TIMEOUT_SECONDS = 20


class TimeoutAdapter(HTTPAdapter):
    """pylti1p3 (2.0.0) passes no `timeout` and takes no option for one, and requests has no
    per-session timeout; a transport adapter, requests' documented extension point, is where one
    goes. A platform that never answers must not hold the worker (tests/lti/test_results.py pins it)."""

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=timeout or REQUEST_TIMEOUT_SECONDS, **kwargs)


def platform_session() -> requests.Session:
    """The HTTP session pylti1p3 uses to reach a platform: every request times out."""
    session = requests.Session()
    session.mount("https://", TimeoutAdapter())
    session.mount("http://", TimeoutAdapter())
    return session


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
    connector = ServiceConnector(registration_for(link.identity.platform), platform_session())
    service = AssignmentsGradesService(connector, {"scope": link.scopes, "lineitem": link.lineitem_url})
    service.put_grade(grade_for(send))


@task()
def score_send(send_id: int, attempt: int = 1) -> str:
    """Post ScoreSend `send_id` to its line item unless it was sent already; on failure, retry later."""
    return deliver(
        rows=ScoreSend.objects.select_related("link__identity__platform"),
        lookup={"pk": send_id},
        prepare=lambda send: lambda: _post(send),
        task=score_send,
        task_args=(send_id,),
        attempt=attempt,
        max_attempts=SCORE_MAX_ATTEMPTS,
    )
