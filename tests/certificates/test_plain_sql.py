"""The plain-SQL helpers (ce_course/plain_sql.py) give what the ORM would: aware datetimes, JSON, exact decimals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ce_course.plain_sql import db_datetime, db_decimal, db_json, fetch_rows
from certificates.models import Certificate
from certificates.selectors import transcript_rows


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(1, "1.00"), (1.5, "1.50"), (0.25, "0.25"), (123.45, "123.45"), (Decimal("2.00"), "2.00"), (None, None)],
)
def test_decimals_come_back_exact_with_two_places(stored, expected):
    assert db_decimal(stored) == (Decimal(expected) if expected else None)
    assert expected is None or str(db_decimal(stored)) == expected


def test_naive_datetimes_are_utc_and_aware_ones_are_kept():
    naive = datetime(2026, 11, 26, 1, 2, 3)
    assert db_datetime(naive) == datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)
    aware = datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)
    assert db_datetime(aware) is aware and db_datetime(None) is None


def test_json_text_is_decoded():
    assert db_json('{"a": [1, 2]}') == {"a": [1, 2]} and db_json(None) is None


@pytest.mark.django_db
def test_transcript_rows_read_with_plain_sql_match_the_orm(certificate):
    certificates, total = transcript_rows(user=certificate.user)
    orm = Certificate.objects.get(pk=certificate.pk)
    row = certificates[0]
    for name in (
        "serial",
        "verification_code",
        "course_title",
        "completion_date",
        "contact_hours",
        "revoked_at",
    ):
        assert getattr(row, name) == getattr(orm, name), name
    assert total == orm.contact_hours and str(total) == str(orm.contact_hours)


@pytest.mark.django_db
def test_fetch_rows_binds_parameters(learner):
    assert fetch_rows("SELECT email FROM accounts_user WHERE id = %s", [learner.pk]) == [(learner.email,)]


def test_instance_puts_values_in_the_models_field_order_whatever_the_keyword_order():
    from ce_course.plain_sql import instance

    certificate = instance(
        Certificate, contact_hours=Decimal("1.00"), id=7, completion_date=datetime(2026, 1, 2).date()
    )
    assert certificate.pk == 7 and certificate.contact_hours == Decimal("1.00")
    assert certificate.completion_date.isoformat() == "2026-01-02"
    with pytest.raises(TypeError, match="no field"):
        instance(Certificate, id=1, not_a_field=2)
