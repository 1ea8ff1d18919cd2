"""The audit log records changes to published courses and questions, and revocations."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from ce_course.models import AuditEvent
from certificates import services

pytestmark = pytest.mark.django_db

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"


def test_editing_a_published_course_in_the_admin_is_audited(client, author, course):
    module = course.modules.get(slug="m1")
    client.force_login(author)
    response = client.post(
        reverse("admin:modules_module_change", args=[module.pk]),
        {
            "course": course.pk,
            "position": 1,
            "slug": "m1",
            "title": "Renamed",
            "estimated_minutes": 5,
            "body_markdown": "New body",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="module.changed")
    assert event.actor == author and "title" in event.data["fields"] and course.slug in event.summary


def test_editing_a_question_of_a_published_course_is_audited(client, author, course):
    from quizzes.models import Question, Quiz
    from tests.quizzes.conftest import build_bank

    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    question = Question.objects.get(key="single")
    client.force_login(author)
    page = client.get(reverse("admin:quizzes_question_change", args=[question.pk]))
    assert page.status_code == 200
    data = {
        "quiz": quiz.pk,
        "key": "single",
        "position": 1,
        "kind": "single",
        "topic": "anatomy",
        "title": "",
        "points": "1",
        "is_active": "on",
        "stem_markdown": "A changed stem?",
        "rationale_markdown": "Because.",
        "reference": "",
        "multiple_grading": "all_or_nothing",
        "ordering_mode": "absolute_position",
        "choices-TOTAL_FORMS": "3",
        "choices-INITIAL_FORMS": "3",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
        "blank_input": "select",
        "unit_handling": "none",
        "unit_penalty": "10",
        "units-TOTAL_FORMS": "0",
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
    }
    for i, choice in enumerate(question.choices.order_by("position")):
        data |= {
            f"choices-{i}-id": choice.pk,
            f"choices-{i}-question": question.pk,
            f"choices-{i}-position": i + 1,
            f"choices-{i}-text": choice.text,
            f"choices-{i}-is_correct": "on" if choice.is_correct else "",
            f"choices-{i}-weight": "",
            f"choices-{i}-correct_position": "",
            f"choices-{i}-match_text": "",
        }
    response = client.post(reverse("admin:quizzes_question_change", args=[question.pk]), data)
    assert response.status_code == 302, response.content[:3000]
    assert AuditEvent.objects.filter(action="question.changed", actor=author).exists()


def test_unpublished_course_edits_are_not_audited(client, author, course):
    course.is_published = False
    course.save()
    module = course.modules.get(slug="m1")
    client.force_login(author)
    client.post(
        reverse("admin:modules_module_change", args=[module.pk]),
        {
            "course": course.pk,
            "position": 1,
            "slug": "m1",
            "title": "Draft",
            "estimated_minutes": 5,
            "body_markdown": "x",
        },
    )
    assert not AuditEvent.objects.exists()


def test_loading_a_changed_published_course_is_audited_once(tmp_path):
    call_command("load_course", str(COURSE), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AuditEvent.objects.filter(action="course.loaded").count() == 1
    call_command("load_course", str(COURSE), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AuditEvent.objects.filter(action="course.loaded").count() == 1


def test_revocation_and_reissue_are_audited(certificate, board):
    new = services.certificate_reissue(certificate=certificate, reason="Name corrected", by=board)
    actions = set(AuditEvent.objects.filter(actor=board).values_list("action", flat=True))
    assert actions == {"certificate.revoked", "certificate.reissued"}
    assert AuditEvent.objects.get(action="certificate.reissued").object_id == str(new.pk)


def test_report_downloads_are_audited(client, certificate, board):
    client.force_login(board)
    b"".join(client.get(reverse("report_csv"), {"state": "FL"}).streaming_content)
    event = AuditEvent.objects.get(action="report.downloaded")
    assert event.actor == board and event.data["filters"]["state"] == "FL"
