"""In Chromium with JavaScript off: a reviewer's large export waits on its page, which refreshes
itself until the worker has made the file; then the download link works. Both pages pass axe."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.reports.test_exports import make_certificates
from tests.tasks.conftest import database_tasks, run_worker  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def large_export(settings, tmp_path, course, board, database_tasks):  # noqa: F811 (a fixture by name)
    settings.EXPORT_JOB_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    make_certificates(course, 3)
    return board


def log_in(tab, user):
    tab.goto("/accounts/login/")
    tab.get_by_label("Email address").fill(user.email)
    tab.locator("#id_password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()


def test_the_job_page_refreshes_itself_without_javascript_until_the_file_is_ready(
    browser,
    live_server,
    large_export,
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, accept_downloads=True)
    context.set_default_timeout(15000)
    tab = context.new_page()
    log_in(tab, large_export)
    tab.goto("/reports/")
    tab.get_by_role("link", name="CSV", exact=True).click()
    expect(tab.get_by_text("Waiting for the worker")).to_be_visible()
    expect(tab.locator("progress")).to_have_attribute("value", "0")

    run_worker()
    # No reload from the test: the page's own <meta http-equiv="refresh"> brings the link.
    link = tab.get_by_role("link", name="Download completions-")
    expect(link).to_be_visible(timeout=10000)
    expect(tab.locator("progress")).to_have_attribute("value", "100")
    with tab.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("completions-")
    context.close()


def test_the_job_and_my_exports_pages_pass_the_accessibility_check(page, large_export):
    log_in(page, large_export)
    page.goto("/reports/export/completions.csv")
    expect(page.get_by_role("heading", name="Completions (CSV)")).to_be_visible()
    # While it reloads itself the page trips axe's meta-refresh rule (WCAG 2.2.1, F41) by design;
    # its first link turns the reload off, and that page, waiting, must pass.
    page.get_by_role("link", name="Stop reloading export pages").click()
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page)
    run_worker()
    page.get_by_role("link", name="Check again").click()
    expect(page.get_by_role("link", name="Download completions-")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="My exports").first.click()
    expect(page.get_by_role("heading", name="My exports")).to_be_visible()
    assert_accessible(page)
