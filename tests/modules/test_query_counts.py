"""Pages that list things run the same number of queries with 1 or 50 modules / learners / courses."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.services import module_complete
from tests.factories import EnrollmentFactory, UserFactory, course_with_modules

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    """Queries of a second, warm request: the first one fills the cache (session, user, course)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def enrolled_learner_in(course, completed=0):
    user = UserFactory()
    enrollment = EnrollmentFactory(user=user, course=course)
    for module in course.modules.order_by("position")[:completed]:
        module_complete(enrollment=enrollment, module=module)
    return user


@pytest.mark.parametrize("size", [1, 50])
def test_catalogue_queries_do_not_grow_with_courses(client, size, django_assert_max_num_queries):
    for _ in range(size):
        course_with_modules(2)
    user = enrolled_learner_in(course_with_modules(2))
    client.force_login(user)
    client.get(reverse("catalogue"))  # fills the cache
    with django_assert_max_num_queries(5):
        assert client.get(reverse("catalogue")).status_code == 200


def test_course_and_module_pages_cost_the_same_with_1_and_50_modules(client):
    counts = {}
    for size in (1, 50):
        course = course_with_modules(size)
        user = enrolled_learner_in(course, completed=size - 1)
        client.force_login(user)
        last = course.modules.order_by("position").last()
        counts[size] = (
            count_queries(client, reverse("course_detail", args=[course.slug])),
            count_queries(client, reverse("module_detail", args=[course.slug, last.slug])),
            count_queries(client, reverse("dashboard")),
        )
    assert counts[1] == counts[50], counts
    course_page, module_page, dashboard = counts[50]
    # Warm requests; cache reads (session, user, content version) are counted like any statement.
    # Module page: 3 cache reads, the learner's rows, the time update.
    # Dashboard: 3 cache reads, the transcript, enrolments with their module rows, attempts, and her
    # licenses with a renewal date (the renewal-period hours; README "Reminders").
    assert course_page <= 6 and module_page <= 5 and dashboard <= 7, counts


def test_pages_cost_the_same_with_1_and_50_learners_enrolled(client):
    course = course_with_modules(3)
    first = enrolled_learner_in(course, completed=1)
    client.force_login(first)
    urls = [
        reverse("catalogue"),
        reverse("course_detail", args=[course.slug]),
        reverse("dashboard"),
        reverse("module_detail", args=[course.slug, "m2"]),
    ]
    for url in urls:
        client.get(url)  # the first visit to a module creates its progress row; measure steady state
    before = [count_queries(client, url) for url in urls]
    for _ in range(49):
        enrolled_learner_in(course, completed=2)
    after = [count_queries(client, url) for url in urls]
    assert before == after


def test_dashboard_cost_does_not_grow_with_the_learners_courses(client):
    user = UserFactory()
    client.force_login(user)
    EnrollmentFactory(user=user, course=course_with_modules(2))
    one = count_queries(client, reverse("dashboard"))
    for _ in range(20):
        EnrollmentFactory(user=user, course=course_with_modules(3))
    assert count_queries(client, reverse("dashboard")) == one
