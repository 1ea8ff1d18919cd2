"""Authoring in the admin: a course from an uploaded article, a new version, an export to files."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from modules.content import read_course_folder
from modules.models import Course, JointProvider, Provider
from quizzes.content import read_quiz_file
from tests.factories import OrganizationFactory, ProviderFactory

pytestmark = pytest.mark.django_db
SHIPPED = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"
ARTICLE = b"""# Caring for wounds

A short preamble.

## Assessment
Look at the wound.

## Cleaning
Rinse with saline.

## Dressing
Choose a dressing.
"""
AUTHOR_URL = reverse("admin:modules_course_author")


def upload(client, article=ARTICLE, **fields):
    data = {"slug": "wounds", "title": "", "provider": Provider.objects.get().pk, "preview": "1", **fields}
    data["article"] = SimpleUploadedFile("wounds.md", article, content_type="text/markdown")
    return client.post(AUTHOR_URL, data)


@pytest.fixture
def author_client(client, author):
    ProviderFactory()
    client.force_login(author)
    return client


def test_the_preview_lists_the_modules_the_article_will_be_split_into(author_client):
    response = upload(author_client)
    assert response.status_code == 200
    page = response.content.decode()
    for title in ("Assessment", "Cleaning", "Dressing"):
        assert f'value="{title}"' in page
    assert "Save as a draft course" in page and not Course.objects.exists()
    assert "Rinse with saline." in page  # the article goes on in the text box for the next step


def test_saving_with_a_new_order_and_title_creates_an_unpublished_draft(author_client):
    article_text = ARTICLE.decode()
    response = author_client.post(
        AUTHOR_URL,
        {
            "slug": "wounds",
            "title": "",
            "provider": Provider.objects.get().pk,
            "article_text": article_text,
            "module_title": ["Assessment", "Cleaning the wound", "Dressing"],
            "module_order": ["2", "1", "3"],
            "save": "1",
        },
    )
    course = Course.objects.get(slug="wounds")
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:modules_course_change", args=[course.pk]
    )
    assert not course.is_published and course.title == "Caring for wounds"
    assert [m.title for m in course.modules.order_by("position")] == [
        "Cleaning the wound",
        "Assessment",
        "Dressing",
    ]
    assert "A short preamble." in course.modules.get(title="Assessment").body_markdown


def test_an_article_that_is_not_utf8_is_refused_with_a_reason(author_client):
    response = upload(author_client, article="## Caf\u00e9\n".encode("latin-1"))
    assert response.status_code == 400
    assert "not UTF-8 text" in response.content.decode()


def test_an_article_without_second_level_headings_is_refused(author_client):
    response = upload(author_client, article=b"# Title\n\nJust text.\n")
    assert response.status_code == 400
    assert "no second-level (##) headings" in response.content.decode()


def test_a_slug_already_taken_is_refused_and_nothing_is_saved(author_client, course):
    response = author_client.post(
        AUTHOR_URL,
        {
            "slug": course.slug,
            "provider": Provider.objects.get().pk,
            "article_text": ARTICLE.decode(),
            "module_title": ["a", "b", "c"],
            "module_order": ["1", "2", "3"],
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert course.modules.count() == 3


def test_a_learner_cannot_open_the_authoring_page(client, learner):
    client.force_login(learner)
    assert client.get(AUTHOR_URL).status_code == 302  # to the admin log-in


def test_duplicate_as_a_new_version_copies_everything_an_approval_reviews(client, admin_user, course):
    JointProvider.objects.create(
        course=course,
        organization=OrganizationFactory(),
        role="Co-plans",
        agreement_date="2026-01-01",
        statement="Jointly provided.",
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:modules_course_changelist"),
        {"action": "duplicate_as_new_version", "_selected_action": [course.pk]},
    )
    assert response.status_code == 302
    copy = Course.objects.get(slug=f"{course.slug}-v2")
    assert not copy.is_published and copy.previous_version == course
    assert [m.title for m in copy.modules.all()] == [m.title for m in course.modules.all()]
    assert copy.planners.count() == course.planners.count() == 1
    assert copy.joint_providers.get().statement == "Jointly provided."
    assert course.modules.count() == 3  # the original is untouched


def test_export_writes_a_folder_load_course_reads_back_the_same(client, admin_user, tmp_path):
    call_command("load_course", str(SHIPPED), stdout=io.StringIO())
    course = Course.objects.get(slug="proximal-hamstring-tendinopathy")
    client.force_login(admin_user)
    response = client.get(reverse("admin:modules_course_export", args=[course.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    exported = read_course_folder(tmp_path / course.slug)
    shipped = read_course_folder(SHIPPED)
    assert exported.fields == shipped.fields
    assert exported.provider == shipped.provider
    assert [(m.slug, m.title, m.objectives, m.body_markdown) for m in exported.modules] == [
        (m.slug, m.title, m.objectives, m.body_markdown) for m in shipped.modules
    ]
    assert {i.key for i in exported.images} == {i.key for i in shipped.images}
    exported_quiz, shipped_quiz = (
        read_quiz_file(tmp_path / course.slug / "post-test.toml"),
        read_quiz_file(SHIPPED / "post-test.toml"),
    )
    assert exported_quiz.settings == shipped_quiz.settings and exported_quiz.draw == shipped_quiz.draw
    assert [q.key for q in exported_quiz.questions] == [q.key for q in shipped_quiz.questions]
    assert exported_quiz.questions == shipped_quiz.questions


def test_a_course_folder_provider_is_created_once_and_never_overwritten(tmp_path):
    call_command("load_course", str(SHIPPED), stdout=io.StringIO())
    provider = Provider.objects.get()
    assert provider.is_example and provider.legal_name == "Example Nursing CE Provider"
    provider.address = "Edited by the admin"
    provider.save()
    out = io.StringIO()
    call_command("load_course", str(SHIPPED), stdout=out)
    provider.refresh_from_db()
    assert provider.address == "Edited by the admin"
    assert "the site's are kept" in out.getvalue()


def test_joint_providers_and_commercial_support_go_out_with_the_export_and_back_in(
    client, admin_user, course, tmp_path
):
    from datetime import date
    from decimal import Decimal

    from modules.models import CommercialSupport

    partner = OrganizationFactory(name="State Nurses Association")
    acme = OrganizationFactory(name="Acme Pharma", is_ineligible_company=True)
    JointProvider.objects.create(
        course=course,
        organization=partner,
        role="Co-plans",
        agreement_date=date(2026, 1, 2),
        statement="Jointly.",
    )
    CommercialSupport.objects.create(
        course=course,
        supporter=acme,
        amount=Decimal("1250.00"),
        agreement_date=date(2026, 1, 3),
        signatories="Jordan Example; Sam Smith",
    )
    client.force_login(admin_user)
    response = client.get(reverse("admin:modules_course_export", args=[course.pk]))
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    before = course.commercial_support_disclosure(), course.joint_providership_statement()
    course.joint_providers.all().delete()
    course.support_records.all().delete()

    call_command("load_course", str(tmp_path / course.slug), stdout=io.StringIO())

    assert (course.commercial_support_disclosure(), course.joint_providership_statement()) == before
    support = course.support_records.get()
    assert (support.supporter, support.amount, support.signatories) == (
        acme,
        Decimal("1250.00"),
        "Jordan Example; Sam Smith",
    )
    out = io.StringIO()
    call_command("load_course", str(tmp_path / course.slug), stdout=out)  # idempotent
    assert course.support_records.get().pk == support.pk


def test_a_folder_naming_an_ineligible_company_as_joint_provider_is_refused_with_the_reason(course, tmp_path):
    from django.core.management.base import CommandError

    folder = tmp_path / "c"
    shutil.copytree(SHIPPED, folder)
    text = (folder / "course.toml").read_text()
    text = text.replace(
        "\n[provider]",
        '\n[[joint_providers]]\norganization = "Acme Pharma"\nineligible_company = true\nrole = "Co-plans"\n'
        'agreement_date = 2026-01-02\nstatement = "Jointly."\n\n[provider]',
        1,
    )
    (folder / "course.toml").write_text(text)
    with pytest.raises(CommandError, match="Acme Pharma is an ineligible company"):
        call_command("load_course", str(folder), stdout=io.StringIO())
    assert not Course.objects.filter(slug="proximal-hamstring-tendinopathy").exists()
