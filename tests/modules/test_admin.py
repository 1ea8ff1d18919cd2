"""Authoring in the admin: authors edit courses with modules inline and preview a module as learners see it."""

import pytest
from django.urls import reverse

from modules.models import Enrollment, Module, ModuleProgress

pytestmark = pytest.mark.django_db


def test_author_sees_course_list_with_module_counts(client, author, course):
    client.force_login(author)
    response = client.get(reverse("admin:modules_course_changelist"))
    assert response.status_code == 200
    assert course.title in response.text
    search = client.get(reverse("admin:modules_course_changelist"), {"q": "Hamstring"})
    assert course.title in search.text


def test_author_edits_course_with_modules_inline_in_position_order(client, author, course):
    client.force_login(author)
    response = client.get(reverse("admin:modules_course_change", args=[course.pk]))
    assert response.status_code == 200
    text = response.text
    assert text.index("Module 1") < text.index("Module 2") < text.index("Module 3")


def test_module_preview_renders_exactly_the_learner_template_and_records_nothing(client, author, course):
    module = course.modules.get(slug="m2")
    client.force_login(author)
    response = client.get(reverse("admin:modules_module_preview", args=[module.pk]))
    assert response.status_code == 200
    assert "Author preview" in response.text
    assert module.body_html in response.text and "Describe the thing." in response.text
    assert not Enrollment.objects.exists() and not ModuleProgress.objects.exists()


def test_learner_and_board_cannot_preview_or_edit(client, learner, board, course):
    module = course.modules.first()
    client.force_login(learner)
    response = client.get(reverse("admin:modules_module_preview", args=[module.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(board)  # not staff: the admin is not theirs
    assert client.get(reverse("admin:modules_course_changelist")).status_code == 302


def test_saving_a_module_in_the_admin_renders_sanitised_html(client, author, course):
    module = course.modules.get(slug="m1")
    client.force_login(author)
    url = reverse("admin:modules_module_change", args=[module.pk])
    response = client.post(
        url,
        {
            "course": course.pk,
            "position": 1,
            "slug": "m1",
            "title": "Module 1",
            "objectives": "First objective\nSecond objective\n",
            "estimated_minutes": 7,
            "body_markdown": "New *body* <script>alert(1)</script>",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    module.refresh_from_db()
    assert module.objectives == ["First objective", "Second objective"]
    assert "<em>body</em>" in module.body_html and "<script" not in module.body_html


def test_admin_refuses_a_duplicate_module_position_with_a_message(client, author, course):
    module = course.modules.get(slug="m1")
    client.force_login(author)
    response = client.post(
        reverse("admin:modules_module_change", args=[module.pk]),
        {
            "course": course.pk,
            "position": 2,
            "slug": "m1",
            "title": "x",
            "estimated_minutes": 5,
            "body_markdown": "x",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert Module.objects.get(pk=module.pk).position == 1


def test_enrollments_cannot_be_deleted_in_the_admin(client, admin_user, learner, course):
    enrollment = Enrollment.objects.create(
        user=learner, course=course, disclosures_acknowledged_at="2026-01-01T00:00Z"
    )
    client.force_login(admin_user)
    response = client.post(reverse("admin:modules_enrollment_delete", args=[enrollment.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()
