"""The plain-SQL reads (ce_course/plain_sql.py) build the same complete rows the ORM builds."""

from decimal import Decimal

import pytest

from ce_course.plain_sql import build, column, columns, fetch_rows, table
from certificates.models import Certificate
from certificates.selectors import transcript_rows
from modules.models import Enrollment, ModuleProgress
from modules.selectors import dashboard_progress, lesson_progress

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in Certificate._meta.concrete_fields if f.attname != "pdf"]


def test_transcript_rows_equal_the_orms_in_every_column_but_the_pdf(certificate):
    certificates, total = transcript_rows(user=certificate.user)
    orm = Certificate.objects.get(pk=certificate.pk)
    (row,) = certificates
    assert {name: getattr(row, name) for name in FIELDS} == {name: getattr(orm, name) for name in FIELDS}
    assert row.get_deferred_fields() == {"pdf"}
    assert total == orm.contact_hours and str(total) == str(orm.contact_hours) == "1.00"


def test_lesson_and_dashboard_rows_are_complete_model_rows(learner, course):
    from modules.services import module_complete
    from tests.factories import EnrollmentFactory

    enrollment = EnrollmentFactory(user=learner, course=course)
    module_complete(enrollment=enrollment, module=course.modules.get(slug="m1"))
    lesson = lesson_progress(user=learner, course=course)
    (row,) = dashboard_progress(user=learner, certificates=[])
    for progress in (lesson, row):
        assert progress.enrollment.get_deferred_fields() == set()
        assert progress.enrollment.created_at == Enrollment.objects.get().created_at
        stored = ModuleProgress.objects.get()
        read = progress.modules[0].progress
        assert read.get_deferred_fields() == set()
        assert [getattr(read, f.attname) for f in ModuleProgress._meta.concrete_fields] == [
            getattr(stored, f.attname) for f in ModuleProgress._meta.concrete_fields
        ]
        assert read.completed_at.tzinfo is not None


def test_names_come_from_meta(learner):
    sql = f"SELECT {columns(Enrollment, 'e')} FROM {table(Enrollment)} e WHERE e.{column(Enrollment, 'user')} = %s"  # noqa: S608
    assert fetch_rows(sql, [learner.pk]) == []
    assert '"modules_enrollment"' in table(Enrollment) and '"user_id"' in column(Enrollment, "user")


def test_build_converts_values_as_the_orm_does(certificate):
    (values,) = fetch_rows(
        f"SELECT {columns(Certificate, 'c')} FROM {table(Certificate)} c",  # noqa: S608
        [],
    )
    row = build(Certificate, values)
    assert row.contact_hours == Decimal("1.00") and str(row.contact_hours) == "1.00"
    assert row.issued_at == Certificate.objects.get().issued_at and row.issued_at.tzinfo is not None
    assert bytes(row.pdf) == bytes(Certificate.objects.get().pdf)
