"""AGS: the score and completion reach the platform's line item; a failure retries and never blocks."""

import socket
import time
from decimal import Decimal
from unittest import mock

import pytest
import requests

from certificates.services import CertificateError
from lti.models import ScoreSend
from tests.certificates.conftest import finish_course, pass_post_test
from tests.conftest import PASSWORD
from tests.lti.platform import AGS, SCORE_SCOPE
from tests.quizzes.conftest import complete_modules


def linked_launch(client, lms, learner, lineitem):
    ags = {"scope": [SCORE_SCOPE], "lineitem": lineitem, "lineitems": lineitem.rsplit("/", 1)[0]}
    lms.launch(client, body_changes={AGS: ags})
    response = client.post("/lti/account/", {"action": "link", "email": learner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_passing_the_post_test_and_the_certificate_send_scores_to_the_line_item(
    client,
    lms,
    course,
    learner,
    post_test,
    django_capture_on_commit_callbacks,
):
    lineitem = lms.accept_scores()
    linked_launch(client, lms, learner, lineitem)
    complete_modules(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = pass_post_test(learner, post_test)
    assert attempt.passed
    assert len(lms.scores) == 1
    path, headers, score = lms.scores[0]
    assert path == "/lineitems/7/lineitem/scores"
    assert headers["Authorization"] == "Bearer platform-access-token"
    assert headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert score["userId"] == "lms-user-42"
    assert Decimal(str(score["scoreGiven"])) == attempt.percent and score["scoreMaximum"] == 100
    assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "FullyGraded")
    assert lms.token_requests[0]["grant_type"] == "client_credentials"
    assert SCORE_SCOPE in lms.token_requests[0]["scope"]

    with django_capture_on_commit_callbacks(execute=True):
        finish_course(learner, course)
    _, _, completion = lms.scores[1]
    assert (completion["activityProgress"], completion["gradingProgress"]) == ("Completed", "FullyGraded")
    assert completion["userId"] == "lms-user-42"
    assert ScoreSend.objects.filter(sent_at__isnull=False).count() == 2


def test_a_refused_score_is_retried_and_the_certificate_stands(
    client,
    lms,
    course,
    learner,
    post_test,
    django_capture_on_commit_callbacks,
):
    lineitem = lms.accept_scores(fail_first=2)
    linked_launch(client, lms, learner, lineitem)
    complete_modules(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        pass_post_test(learner, post_test)
    send = ScoreSend.objects.get()
    assert send.attempts == 3 and send.sent_at is not None and len(lms.scores) == 1


def test_an_unreachable_platform_never_blocks_the_certificate(
    client,
    lms,
    course,
    learner,
    post_test,
    django_capture_on_commit_callbacks,
):
    linked_launch(client, lms, learner, "http://127.0.0.1:9/lineitems/1/lineitem")  # nothing listens there
    complete_modules(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        pass_post_test(learner, post_test)
        certificate = finish_course(learner, course)
    assert certificate.pk is not None
    assert all(send.sent_at is None and send.last_error for send in ScoreSend.objects.all())


def test_an_account_made_from_the_lms_gets_no_certificate_until_she_confirms_her_identity(
    client,
    lms,
    course,
    post_test,
):
    lms.launch(client)
    client.post("/lti/account/", {"action": "create"})
    from lti.models import Identity

    user = Identity.objects.get().user
    complete_modules(user, course)
    pass_post_test(user, post_test)
    with pytest.raises(CertificateError, match="confirm your legal name"):
        finish_course(user, course)
    refused = client.post("/lti/identity/", {"first_name": "Alison", "last_name": "Nguyen", "confirm": "on"})
    assert refused.status_code == 400 and b"Add your nursing license first" in refused.content
    from tests.factories import LicenseFactory

    LicenseFactory(user=user, state="FL", number="RN7654321")
    confirmed = client.post(
        "/lti/identity/", {"first_name": "Alison", "last_name": "Nguyen", "confirm": "on"}
    )
    assert confirmed.status_code == 302
    from certificates.services import certificate_issue

    certificate = certificate_issue(user=user, course=course)
    assert certificate.learner_name.startswith("Alison Nguyen")


@pytest.mark.django_db(transaction=True)
def test_the_score_is_sent_with_no_transaction_open(client, lms, course, learner, post_test):
    from django.db import connection

    from lti import tasks

    in_transaction = []
    real_post = tasks._post

    def recording_post(send):
        in_transaction.append(connection.in_atomic_block)
        real_post(send)

    linked_launch(client, lms, learner, lms.accept_scores())
    complete_modules(learner, course)
    with mock.patch("lti.tasks._post", recording_post):
        pass_post_test(learner, post_test)  # commits; the immediate backend sends after the commit
    assert in_transaction == [False] and len(lms.scores) == 1
    assert ScoreSend.objects.get().sending_since is None


def test_a_platform_that_never_answers_times_out():
    # pylti1p3 passes no timeout; lti.tasks.TimeoutAdapter adds one to every request it makes.
    from lti import tasks

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
        started = time.monotonic()
        with mock.patch.object(tasks, "REQUEST_TIMEOUT_SECONDS", 0.5), pytest.raises(requests.Timeout):
            tasks.platform_session().post(url, data={"grant_type": "client_credentials"})
    assert time.monotonic() - started < 5
