"""ANCC's rules on joint providership and commercial support, held by the database and the forms."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import modelform_factory

from modules.disclosures import NO_COMMERCIAL_SUPPORT, commercial_support_text
from modules.models import CommercialSupport, JointProvider, Planner
from tests.factories import OrganizationFactory, PlannerFactory

pytestmark = pytest.mark.django_db
AGREED = date(2026, 1, 10)


def refused_by_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.fixture
def drug_company(db):
    return OrganizationFactory(name="Acme Pharma", is_ineligible_company=True)


@pytest.fixture
def nurses_association(db):
    return OrganizationFactory(name="State Nurses Association")


def joint(course, organization, **overrides):
    values = {
        "course": course,
        "organization": organization,
        "role": "Co-plans the content",
        "agreement_date": AGREED,
        "statement": f"This activity is jointly provided by Example Provider and {organization.name}.",
    }
    return JointProvider(**{**values, **overrides})


def test_database_refuses_an_ineligible_company_as_joint_provider(course, drug_company):
    refused_by_database(lambda: joint(course, drug_company).save())


def test_database_refuses_switching_a_joint_provider_to_an_ineligible_company(
    course, drug_company, nurses_association
):
    row = joint(course, nurses_association)
    row.save()
    row.organization = drug_company
    refused_by_database(row.save)


def test_database_refuses_marking_a_joint_provider_ineligible(course, nurses_association):
    joint(course, nurses_association).save()
    nurses_association.is_ineligible_company = True
    refused_by_database(nurses_association.save)


def test_an_eligible_organization_can_be_a_joint_provider(course, nurses_association):
    row = joint(course, nurses_association)
    row.full_clean()
    row.save()
    assert course.joint_providership_statement().startswith("This activity is jointly provided")


def test_joint_provider_form_says_why_an_ineligible_company_is_refused(course, drug_company):
    Form = modelform_factory(
        JointProvider, fields=["course", "organization", "role", "agreement_date", "statement"]
    )
    form = Form(
        data={
            "course": course.pk,
            "organization": drug_company.pk,
            "role": "Co-plans",
            "agreement_date": "2026-01-10",
            "statement": "Jointly provided.",
        }
    )
    assert not form.is_valid()
    assert "Acme Pharma is an ineligible company" in form.errors["organization"][0]


def test_joint_provider_needs_a_statement_and_a_role(course, nurses_association):
    refused_by_database(lambda: joint(course, nurses_association, statement="").save())
    refused_by_database(lambda: joint(course, nurses_association, role="").save())


def test_database_refuses_a_planner_employed_by_an_ineligible_company_without_mitigation(
    course, drug_company
):
    refused_by_database(
        lambda: PlannerFactory(
            course=course, is_nurse_planner=False, employer=drug_company, employer_mitigation=""
        )
    )
    refused_by_database(
        lambda: PlannerFactory(
            course=course, is_nurse_planner=False, employer=drug_company, employer_mitigation="   "
        )
    )


def test_a_planner_employed_by_an_ineligible_company_with_a_recorded_mitigation_is_allowed(
    course, drug_company
):
    planner = PlannerFactory(
        course=course,
        is_nurse_planner=False,
        employer=drug_company,
        employer_mitigation="Peer reviewed by an independent nurse planner.",
    )
    planner.full_clean()


def test_database_refuses_marking_an_employer_ineligible_while_a_planner_has_no_mitigation(
    course, nurses_association
):
    PlannerFactory(course=course, is_nurse_planner=False, employer=nurses_association)
    nurses_association.is_ineligible_company = True
    refused_by_database(nurses_association.save)


def test_planner_form_asks_for_the_mitigation_with_the_reason(course, drug_company):
    planner = Planner(course=course, name="Pat", role="Content author", employer=drug_company)
    with pytest.raises(ValidationError) as raised:
        planner.full_clean()
    assert "Acme Pharma is an ineligible company" in raised.value.message_dict["employer_mitigation"][0]


def support(course, supporter, **overrides):
    values = {
        "course": course,
        "supporter": supporter,
        "amount": Decimal("1250.00"),
        "in_kind_description": "",
        "agreement_date": AGREED,
        "signatories": "Jordan Example (provider); Sam Smith (Acme Pharma)",
    }
    return CommercialSupport(**{**values, **overrides})


def test_commercial_support_needs_an_amount_or_an_in_kind_description(course, drug_company):
    refused_by_database(lambda: support(course, drug_company, amount=None).save())
    with pytest.raises(ValidationError, match="monetary amount"):
        support(course, drug_company, amount=None).full_clean()
    support(course, drug_company, amount=None, in_kind_description="Ultrasound models").full_clean()


def test_commercial_support_amount_is_positive(course, drug_company):
    refused_by_database(lambda: support(course, drug_company, amount=Decimal("0.00")).save())
    refused_by_database(
        lambda: support(course, drug_company, amount=Decimal("-5"), in_kind_description="Models").save()
    )


def test_commercial_support_records_who_signed_the_agreement(course, drug_company):
    refused_by_database(lambda: support(course, drug_company, signatories="").save())


def test_commercial_support_disclosure_is_generated_from_the_records(
    course, drug_company, nurses_association
):
    assert course.commercial_support_disclosure() == NO_COMMERCIAL_SUPPORT
    support(course, drug_company).save()
    support(course, nurses_association, amount=None, in_kind_description="meeting rooms").save()
    text = course.commercial_support_disclosure()
    assert text.startswith("This activity received commercial support.")
    assert "Acme Pharma provided an educational grant of $1,250.00." in text
    assert "State Nurses Association provided in-kind support (meeting rooms)." in text


def test_disclosure_of_no_records_is_the_standard_sentence():
    assert commercial_support_text([]) == "This activity received no commercial support."
