"""A nurse's certificate PDF, uploaded on the verify page, is "issued by us"; a modified copy,
dropped on the form, is "altered". Every page passes axe-core."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_certificate_flow import passed  # noqa: F401 (a fixture)
from tests.certificates.conftest import finish_course
from tests.certificates.test_signed_pdf import one_byte_changed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def nurse_with_certificate(passed):  # noqa: F811 (the fixture by name)
    course, user = passed
    return course, user, finish_course(user, course)


def drop_file(page, selector, name, content: bytes):
    """Drop a file on an element as a person dragging it from her desktop would."""
    transfer = page.evaluate_handle(
        """([name, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
            return transfer;
        }""",
        [name, list(content)],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_her_pdf_is_issued_by_us_and_a_modified_copy_is_altered(page, nurse_with_certificate, tmp_path):
    course, user, certificate = nurse_with_certificate
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/courses/{course.slug}/certificate/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    downloaded = Path(download_info.value.path()).read_bytes()
    assert downloaded == bytes(certificate.pdf)

    page.goto("/verify/")
    assert_accessible(page)
    page.get_by_label(re.compile("Certificate PDF")).set_input_files(
        files=[{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": downloaded}]
    )
    page.get_by_role("button", name="Check the PDF").click()
    expect(page.get_by_role("heading", name="Issued by us")).to_be_visible()
    expect(page.get_by_text("Status: valid")).to_be_visible()
    expect(page.get_by_text(certificate.serial)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Check another file").click()
    drop_file(page, "form[data-verify-drop]", "modified.pdf", one_byte_changed(downloaded))
    expect(page.get_by_text("Ready to check modified.pdf")).to_be_visible()
    page.get_by_role("button", name="Check the PDF").click()
    expect(page.get_by_role("heading", name="Altered")).to_be_visible()
    expect(
        page.get_by_text("This file is not a certificate we issued, or it has been altered.")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_label(re.compile("Certificate PDF")).set_input_files(
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"plain text, not a PDF"}]
    )
    page.get_by_role("button", name="Check the PDF").click()
    expect(page.get_by_text("This file is not a PDF.")).to_be_visible()
    assert_accessible(page)

    page.goto("/verify/keys/")
    expect(page.get_by_role("heading", name="Our signing keys")).to_be_visible()
    expect(page.get_by_text(certificate.signing_kid).first).to_be_visible()
    assert_accessible(page)
