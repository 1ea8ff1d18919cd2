"""The provider's admin: images sanitised and size-limited, ANCC's statement, the example warning."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage

from modules.disclosures import APPROVED_PROVIDER_UNIT
from modules.models import Provider
from tests.factories import OrganizationFactory, PlannerFactory
from tests.modules.image_fixtures import png_bytes

pytestmark = pytest.mark.django_db
SCRIPTED_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    b'<script>alert(1)</script><rect width="40" height="20" onclick="alert(2)"/></svg>'
)


def signature_with_gps():
    exif = PillowImage.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    out = io.BytesIO()
    PillowImage.new("RGB", (60, 20), (0, 0, 0)).save(out, "JPEG", exif=exif)
    assert b"SecretPhoneMaker" in out.getvalue()
    return out.getvalue()


def provider_form(**overrides):
    data = {
        "legal_name": "Gulf Coast Nursing Education",
        "address": "1 Bay Street, Tampa, FL",
        "web_address": "https://gcne.test",
        "accreditation_kind": "accredited_provider",
        "accreditation_body": "American Nurses Credentialing Center's Commission on Accreditation",
        "approval_number": "50-12345",
        "accreditation_statement": "Gulf Coast Nursing Education is accredited.",
        "ce_broker_provider_number": "50-1234",
    }
    return {**data, **overrides}


def add(client, **overrides):
    return client.post(reverse("admin:modules_provider_add"), provider_form(**overrides))


def test_a_logo_and_a_signature_are_re_encoded_and_scripts_removed(client, admin_user):
    client.force_login(admin_user)
    response = add(
        client,
        logo_upload=SimpleUploadedFile("logo.svg", SCRIPTED_SVG, content_type="image/svg+xml"),
        signature_upload=SimpleUploadedFile("sig.jpg", signature_with_gps(), content_type="image/jpeg"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    provider = Provider.objects.get()
    logo = client.get(provider.logo_url)
    assert logo.status_code == 200 and b"<rect" in logo.content
    assert b"script" not in logo.content and b"onclick" not in logo.content
    signature = client.get(provider.signature_url)
    assert signature.status_code == 200 and b"SecretPhoneMaker" not in signature.content


def test_the_signature_is_stored_outside_the_public_images_and_served_to_staff_only(
    client, admin_user, author, learner, board, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin_user)
    add(
        client,
        signature_upload=SimpleUploadedFile("sig.jpg", signature_with_gps(), content_type="image/jpeg"),
    )
    provider = Provider.objects.get()
    assert provider.nurse_planner_signature.name.startswith("signatures/provider-nurse-planner-signature-")
    name = provider.nurse_planner_signature.name.rsplit("/", 1)[-1]
    assert client.get(reverse("image_file", args=[name])).status_code == 404  # not in the public folder
    preview = client.get(reverse("admin:modules_provider_change", args=[provider.pk]))
    assert provider.signature_url in preview.content.decode()
    signature = client.get(provider.signature_url)
    assert signature.status_code == 200 and signature["Cache-Control"] == "private, no-store"
    client.force_login(author)  # staff
    assert client.get(provider.signature_url).status_code == 200
    for user in (learner, board, None):
        client.logout()
        if user is not None:
            client.force_login(user)
        assert client.get(provider.signature_url).status_code == 404, user


def test_an_oversized_logo_is_refused_with_the_limit(client, admin_user, settings):
    settings.PROVIDER_IMAGE_MAX_BYTES = 1000
    client.force_login(admin_user)
    big = png_bytes(size=(400, 400), color=(1, 2, 3))
    response = add(
        client, logo_upload=SimpleUploadedFile("logo.png", big + b"\0" * 2000, content_type="image/png")
    )
    assert response.status_code == 400
    assert "logo.png" in response.content.decode() and not Provider.objects.exists()


def test_an_empty_statement_starts_from_ancc_wording_for_an_approved_provider_unit(client, admin_user):
    client.force_login(admin_user)
    response = add(
        client,
        accreditation_kind=APPROVED_PROVIDER_UNIT,
        accreditation_body="the Florida Nurses Association",
        accreditation_statement="",
    )
    assert response.status_code == 302
    assert Provider.objects.get().accreditation_statement == (
        "Gulf Coast Nursing Education is approved as a provider of nursing continuing professional "
        "development by the Florida Nurses Association, an accredited approver by the American Nurses "
        "Credentialing Center's Commission on Accreditation."
    )


def test_the_admin_warns_about_the_example_provider_in_production_settings(
    client, admin_user, course, settings
):
    settings.DEBUG = False
    course.provider.is_example = True
    course.provider.save()
    client.force_login(admin_user)
    page = client.get(reverse("admin:modules_provider_change", args=[course.provider.pk]), follow=True)
    assert "This is the example provider shipped with the software" in page.content.decode()
    listing = client.get(reverse("admin:modules_provider_changelist")).content.decode()
    assert "EXAMPLE — replace before offering credit" in listing


def test_marking_an_employer_ineligible_is_refused_in_the_form_with_the_reason(client, admin_user, course):
    employer = OrganizationFactory(name="Acme Pharma")
    PlannerFactory(course=course, is_nurse_planner=False, employer=employer)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:modules_organization_change", args=[employer.pk]),
        {"name": "Acme Pharma", "is_ineligible_company": "on"},
    )
    assert response.status_code == 200  # the form shown again with its error, nothing saved
    assert "has no recorded mitigation" in response.content.decode()
    employer.refresh_from_db()
    assert not employer.is_ineligible_company


def test_the_course_admin_shows_joint_providers_and_commercial_support_to_record(client, admin_user, course):
    client.force_login(admin_user)
    page = client.get(reverse("admin:modules_course_change", args=[course.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Joint providers (ANCC joint providership)" in content
    assert "Commercial support (one record per supporter)" in content
