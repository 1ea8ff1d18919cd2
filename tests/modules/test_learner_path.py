"""The learner's path through a course: enrol, open modules in order, complete them, see progress."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.models import Enrollment, ModuleProgress
from modules.selectors import course_progress, lesson_progress
from modules.services import LearnerPathError, enrollment_create, module_complete, module_view_record
from tests.factories import EnrollmentFactory, course_with_modules

pytestmark = pytest.mark.django_db


def module_url(course, slug):
    return reverse("module_detail", args=[course.slug, slug])


def complete_url(course, slug):
    return reverse("module_complete", args=[course.slug, slug])


def test_anonymous_sees_catalogue_and_overview_with_every_disclosure(client, course):
    response = client.get(reverse("catalogue"))
    assert response.status_code == 200
    assert course.title in response.text
    response = client.get(reverse("course_detail", args=[course.slug]))
    assert response.status_code == 200
    for label in (
        "Learning outcome",
        "Criteria for successful completion",
        "Contact hours",
        "Accreditation",
        "Relevant financial relationships",
        "Commercial support",
        "expires on",
        "Planners and authors",
    ):
        assert label in response.text
    assert course.contact_hours_calculation in response.text
    assert "Log in to enrol" in response.text


def test_unpublished_course_is_404_for_learners(client, learner):
    draft = course_with_modules(2, is_published=False)
    client.force_login(learner)
    assert client.get(reverse("course_detail", args=[draft.slug])).status_code == 404
    assert client.get(module_url(draft, "m1")).status_code == 404
    assert draft.title not in client.get(reverse("catalogue")).text


def test_anonymous_post_to_enrol_goes_to_login_and_enrols_nobody(client, course):
    response = client.post(reverse("course_detail", args=[course.slug]), {"acknowledge": "on"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert Enrollment.objects.count() == 0


def test_enrol_requires_acknowledging_the_disclosures(client, learner, course):
    client.force_login(learner)
    response = client.post(reverse("course_detail", args=[course.slug]), {})
    assert response.status_code == 400
    assert "confirm that you have read the disclosures" in response.text
    assert Enrollment.objects.count() == 0


def test_enrol_records_acknowledgement_and_opens_first_module(client, learner, course):
    client.force_login(learner)
    response = client.post(reverse("course_detail", args=[course.slug]), {"acknowledge": "on"})
    assert response.status_code == 302
    assert response["Location"] == module_url(course, "m1")
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.disclosures_acknowledged_at is not None


def test_enrolling_twice_keeps_one_enrollment(learner, course):
    first = enrollment_create(user=learner, course=course)
    second = enrollment_create(user=learner, course=course)
    assert first.pk == second.pk
    assert Enrollment.objects.filter(user=learner).count() == 1


def test_expired_course_cannot_be_enrolled(learner):
    expired = course_with_modules(
        1,
        release_date=timezone.localdate() - timedelta(days=400),
        expiry_date=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(LearnerPathError, match="expired"):
        enrollment_create(user=learner, course=expired)


def test_module_page_redirects_to_overview_when_not_enrolled(client, learner, course):
    client.force_login(learner)
    response = client.get(module_url(course, "m1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("course_detail", args=[course.slug])


def test_module_page_needs_login(client, course):
    response = client.get(module_url(course, "m1"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_locked_module_says_why_and_links_to_next_open_module(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    response = client.get(module_url(course, "m3"))
    assert response.status_code == 403
    assert "is locked" in response.text
    assert module_url(course, "m1") in response.text
    assert not ModuleProgress.objects.exists()


def test_locked_module_cannot_be_completed_by_post(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    response = client.post(complete_url(course, "m2"))
    assert response.status_code == 302
    assert not ModuleProgress.objects.filter(completed_at__isnull=False).exists()


def test_mark_complete_is_post_only(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    assert client.get(complete_url(course, "m1")).status_code == 405


def test_unknown_module_is_404(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    assert client.get(module_url(course, "nope")).status_code == 404
    assert client.post(complete_url(course, "nope")).status_code == 404


def test_module_page_shows_title_objectives_body_estimate_and_progress(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    response = client.get(module_url(course, "m1"))
    assert response.status_code == 200
    text = response.text
    assert "Module 1" in text and "Describe the thing." in text and "<strong>text</strong>" in text
    assert "About 5 minutes" in text
    assert 'class="admonition key-points"' in text
    assert '<progress id="progress-hamstring"' in text and 'value="0"' in text
    assert "Mark complete and continue" in text


def test_completing_every_module_in_order_reaches_100_percent(client, learner, course):
    client.force_login(learner)
    client.post(reverse("course_detail", args=[course.slug]), {"acknowledge": "on"})
    for slug, following in (("m1", "m2"), ("m2", "m3")):
        assert client.get(module_url(course, slug)).status_code == 200
        response = client.post(complete_url(course, slug))
        assert response["Location"] == module_url(course, following)
    response = client.post(complete_url(course, "m3"))
    assert response["Location"] == reverse("course_detail", args=[course.slug])
    progress = course_progress(user=learner, course=course)
    assert progress.percent == 100
    assert progress.all_modules_complete
    dashboard = client.get(reverse("dashboard"))
    assert "3 of 3 modules (100%)" in dashboard.text


def test_completing_twice_changes_nothing(learner, course):
    enrollment = EnrollmentFactory(user=learner, course=course)
    module = course.modules.get(slug="m1")
    first = module_complete(enrollment=enrollment, module=module)
    second = module_complete(enrollment=enrollment, module=module)
    assert first.completed_at == second.completed_at
    assert ModuleProgress.objects.count() == 1


def test_dashboard_continue_link_points_to_where_the_learner_left_off(client, learner, course):
    enrollment = EnrollmentFactory(user=learner, course=course)
    module_complete(enrollment=enrollment, module=course.modules.get(slug="m1"))
    client.force_login(learner)
    response = client.get(reverse("dashboard"))
    assert f'href="{module_url(course, "m2")}"' in response.text
    assert "1 of 3 modules (33%)" in response.text


def test_other_learner_never_sees_the_learners_progress(client, learner, other_learner, course):
    enrollment = EnrollmentFactory(user=learner, course=course)
    module_complete(enrollment=enrollment, module=course.modules.get(slug="m1"))
    client.force_login(other_learner)
    assert course.title not in client.get(reverse("dashboard")).text
    # Bob is not enrolled: the module sends him to the overview, which shows no progress at all.
    assert client.get(module_url(course, "m2")).status_code == 302
    overview = client.get(reverse("course_detail", args=[course.slug]))
    assert "modules (" not in overview.text


def test_time_spent_is_the_gap_between_requests_capped(learner, course, settings):
    settings.MODULE_TIME_CREDIT_CAP_SECONDS = 900
    enrollment = EnrollmentFactory(user=learner, course=course)
    module = course.modules.get(slug="m1")
    start = timezone.now()
    module_view_record(progress=lesson_progress(user=learner, course=course), module=module, now=start)
    credited = module_view_record(
        progress=lesson_progress(user=learner, course=course),
        module=module,
        now=start + timedelta(seconds=120),
    )
    assert credited == 120
    progress = module_complete(enrollment=enrollment, module=module, now=start + timedelta(hours=5))
    assert progress.seconds_spent == 120 + 900
    assert progress.first_viewed_at == start


def test_clock_going_backwards_credits_no_negative_time(learner, course):
    enrollment = EnrollmentFactory(user=learner, course=course)
    module = course.modules.get(slug="m1")
    now = timezone.now()
    module_view_record(progress=lesson_progress(user=learner, course=course), module=module, now=now)
    earlier = now - timedelta(minutes=5)
    module_view_record(progress=lesson_progress(user=learner, course=course), module=module, now=earlier)
    progress = ModuleProgress.objects.get(enrollment=enrollment, module=module)
    assert progress.seconds_spent == 0
    assert progress.last_seen_at == now


def test_overlapping_lesson_requests_credit_one_gap_once(learner, course):
    """Two requests that read the same row: the second UPDATE matches nothing and credits nothing."""
    enrollment = EnrollmentFactory(user=learner, course=course)
    module = course.modules.get(slug="m1")
    start = timezone.now()
    module_view_record(progress=lesson_progress(user=learner, course=course), module=module, now=start)
    first_read = lesson_progress(user=learner, course=course)
    second_read = lesson_progress(user=learner, course=course)
    later = start + timedelta(seconds=60)
    assert module_view_record(progress=first_read, module=module, now=later) == 60
    assert module_view_record(progress=second_read, module=module, now=later + timedelta(seconds=1)) == 0
    assert ModuleProgress.objects.get(enrollment=enrollment, module=module).seconds_spent == 60


def test_lesson_visit_to_a_locked_module_records_nothing(learner, course):
    EnrollmentFactory(user=learner, course=course)
    locked = course.modules.get(slug="m2")
    with pytest.raises(LearnerPathError):
        module_view_record(progress=lesson_progress(user=learner, course=course), module=locked)
    assert not ModuleProgress.objects.filter(module=locked).exists()


def test_completion_rule_names_what_is_missing(learner, course):
    assert course_progress(user=learner, course=course).stage == "enrol"
    enrollment = EnrollmentFactory(user=learner, course=course)
    progress = course_progress(user=learner, course=course)
    assert progress.stage == "modules"
    assert "Complete every module" in progress.missing
    for module in course.modules.order_by("position"):
        module_complete(enrollment=enrollment, module=module)
    assert "Complete every module" not in course_progress(user=learner, course=course).missing
