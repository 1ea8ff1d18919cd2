"""Courses print from their provider; a provider change reaches certificates issued afterwards only."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from certificates import services
from certificates.models import Certificate
from modules.models import JointProvider
from tests.certificates.conftest import EVALUATION, finish_course, pass_post_test
from tests.factories import LicenseFactory, OrganizationFactory, UserFactory
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(content))).pages).replace(
        "\n", " "
    )


def second_learner_passes(course, quiz):
    nurse = UserFactory(email="carol@example.com", first_name="Carol", last_name="Diaz")
    LicenseFactory(user=nurse, state="FL", number="RN7654321")
    complete_modules(nurse, course)
    assert pass_post_test(nurse, quiz).passed
    return nurse


def test_a_provider_change_prints_on_later_certificates_and_leaves_issued_ones_byte_identical(
    passed_learner, course, post_test
):
    first = finish_course(passed_learner, course)
    first_bytes = bytes(first.pdf)
    provider = course.provider
    provider.legal_name = "Gulf Coast Nursing Education"
    provider.address = "1 Bay Street, Tampa, FL 33602"
    provider.approval_number = "50-24680"
    provider.accreditation_statement = "Gulf Coast Nursing Education is accredited as a provider by ANCC."
    provider.save()

    second = finish_course(second_learner_passes(course, post_test), course)

    first.refresh_from_db()
    assert bytes(first.pdf) == first_bytes and first.provider_name == "Example Provider"
    old_text, new_text = pdf_text(first_bytes), pdf_text(second.pdf)
    for value in ("Gulf Coast Nursing Education", "1 Bay Street, Tampa, FL 33602", "50-24680"):
        assert value in new_text and value not in old_text, value
    assert "Example Provider" in old_text and "Example Provider" not in new_text
    assert second.provider_approval_number == "50-24680"


def test_a_joint_providership_statement_prints_on_the_certificate_and_in_the_disclosures(
    client, passed_learner, course
):
    partner = OrganizationFactory(name="State Nurses Association")
    JointProvider.objects.create(
        course=course,
        organization=partner,
        role="Co-plans the content",
        agreement_date=date(2026, 1, 10),
        statement="This activity is jointly provided by Example Provider and State Nurses Association.",
    )
    certificate = finish_course(passed_learner, course)
    assert "jointly provided by Example Provider and State Nurses Association" in pdf_text(certificate.pdf)
    assert certificate.joint_providership_statement.startswith("This activity is jointly provided")
    page = client.get(reverse("course_detail", args=[course.slug])).content.decode()
    assert "Joint providership" in page and "State Nurses Association." in page


def test_course_page_shows_the_generated_commercial_support_disclosure(client, course):
    page = client.get(reverse("course_detail", args=[course.slug])).content.decode()
    assert "This activity received no commercial support." in page


def expire(course):
    today = timezone.localdate()
    course.release_date = today - timedelta(days=400)
    course.expiry_date = today - timedelta(days=1)
    course.save()


def test_an_expired_course_awards_no_certificate(passed_learner, course):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    services.attestation_submit(user=passed_learner, course=course, minutes=60)
    expire(course)
    with pytest.raises(services.CertificateError, match=r"expired on .* no longer awards certificates"):
        services.certificate_issue(user=passed_learner, course=course)
    assert not Certificate.objects.filter(course=course).exists()


def test_an_expired_course_stays_readable_for_an_enrolled_nurse_and_says_why_no_credit(
    client, passed_learner, course
):
    expire(course)
    client.force_login(passed_learner)
    page = client.get(reverse("course_detail", args=[course.slug])).content.decode()
    assert "This course expired on" in page and "You can still read it" in page
    assert "no longer awards certificates or contact hours" in page
    module = course.modules.order_by("position").first()
    assert client.get(reverse("module_detail", args=[course.slug, module.slug])).status_code == 200


def test_an_expired_course_offers_no_enrolment_to_a_nurse_not_enrolled(client, learner, course):
    expire(course)
    client.force_login(learner)
    page = client.get(reverse("course_detail", args=[course.slug])).content.decode()
    assert "This course expired on" in page and "Enrol in this course" not in page


def test_the_catalogue_hides_an_expired_course(client, course):
    assert course.title in client.get(reverse("catalogue")).content.decode()
    expire(course)
    assert course.title not in client.get(reverse("catalogue")).content.decode()


def test_the_example_provider_is_marked_on_the_course_page_in_production_settings(client, course, settings):
    course.provider.is_example = True
    course.provider.save()
    settings.DEBUG = False
    assert "Example provider." in client.get(reverse("course_detail", args=[course.slug])).content.decode()
    settings.DEBUG = True
    assert (
        "Example provider." not in client.get(reverse("course_detail", args=[course.slug])).content.decode()
    )


def test_check_deploy_warns_while_published_courses_print_the_example_provider(course):
    course.provider.is_example = True
    course.provider.save()
    with pytest.raises(SystemCheckError, match=r"modules\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "providers")
    course.provider.is_example = False
    course.provider.save()
    call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "providers")


def test_the_nurse_planners_signature_image_prints_on_certificates_issued_after_it_is_uploaded(
    passed_learner, course, post_test, settings, tmp_path
):
    from modules.images import clean_image
    from modules.services import provider_image_save
    from tests.modules.image_fixtures import png_bytes

    settings.MEDIA_ROOT = tmp_path
    first = finish_course(passed_learner, course)
    assert not PdfReader(io.BytesIO(bytes(first.pdf))).pages[0].images
    provider_image_save(
        provider=course.provider,
        images={"nurse_planner_signature": clean_image(png_bytes(size=(300, 60)), "image/png")},
    )

    second = finish_course(second_learner_passes(course, post_test), course)

    assert second.nurse_planner_signature_file.startswith("signatures/provider-nurse-planner-signature-")
    assert len(PdfReader(io.BytesIO(bytes(second.pdf))).pages[0].images) == 1
    first.refresh_from_db()
    assert first.nurse_planner_signature_file == ""


def test_the_migration_moves_signatures_stored_in_the_public_images_out_of_them(
    passed_learner, course, settings, tmp_path, client
):
    import importlib

    from django.apps import apps
    from django.core.files.storage import storages

    from modules.images import clean_image
    from modules.services import provider_image_save
    from tests.modules.image_fixtures import png_bytes

    migration = importlib.import_module("modules.migrations.0007_signature_out_of_public_images")
    settings.MEDIA_ROOT = tmp_path
    provider_image_save(
        provider=course.provider,
        images={"nurse_planner_signature": clean_image(png_bytes(size=(300, 60)), "image/png")},
    )
    certificate = finish_course(passed_learner, course)
    migration.backwards(apps, None)  # the layout before the migration: the signature among public images
    certificate.refresh_from_db()
    name = certificate.nurse_planner_signature_file.rsplit("/", 1)[-1]
    assert certificate.nurse_planner_signature_file == f"images/{name}"
    assert client.get(reverse("image_file", args=[name])).status_code == 200

    migration.forwards(apps, None)

    certificate.refresh_from_db()
    course.provider.refresh_from_db()
    assert certificate.nurse_planner_signature_file == f"signatures/{name}"
    assert course.provider.nurse_planner_signature.name == f"signatures/{name}"
    assert client.get(reverse("image_file", args=[name])).status_code == 404
    assert not storages["default"].exists(f"images/{name}")
    rendered = services.certificate_data(certificate).signature_image
    assert rendered == storages["default"].open(f"signatures/{name}").read()
