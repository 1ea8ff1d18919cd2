"""factory-boy factories for the domain. Each builds a valid row with the fewest arguments."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import License, User
from modules.models import Course, Enrollment, Module, Organization, Planner, Provider


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Nurse{n}")
    credentials = "RN"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    user = factory.SubFactory(UserFactory)
    state = "FL"
    number = factory.Sequence(lambda n: f"RN{100000 + n}")
    profession = "RN"
    is_primary = True


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ["legal_name"]

    legal_name = "Example Provider"
    accreditation_statement = "Example Provider is accredited as an example."


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for tests."
    provider = factory.SubFactory(ProviderFactory)
    learning_outcome = "Learners will recognise the condition."
    completion_criteria = "Complete every module."
    disclosure_relationships = "No planner has a relevant financial relationship."
    contact_hours = Decimal("1.00")
    contact_hours_calculation = "60 minutes of study."
    release_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    expiry_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    is_published = True


class PlannerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Planner

    course = factory.SubFactory(CourseFactory)
    name = "Pat Planner"
    credentials = "MSN, RN"
    role = "Nurse planner"
    is_nurse_planner = True


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    objectives = factory.LazyFunction(lambda: ["Describe the thing."])
    body_markdown = 'Some **text**.\n\n!!! key-points "Key points"\n    - one point\n'
    estimated_minutes = 5


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    disclosures_acknowledged_at = factory.LazyFunction(timezone.now)


def course_with_modules(count=3, **course_kwargs):
    course = CourseFactory(**course_kwargs)
    PlannerFactory(course=course)
    for position in range(1, count + 1):
        ModuleFactory(course=course, position=position, slug=f"m{position}", title=f"Module {position}")
    return course
