"""The board's report pages: who may see them, what they show, and that every download is recorded."""

import io
import re
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quizzes import services as quiz_services
from reports.models import ReportDownload, RosterBatch
from tests.certificates.conftest import finish_course, pass_post_test
from tests.certificates.test_issue import pdf_text
from tests.factories import LicenseFactory, UserFactory
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def report_urls(course):
    return {
        "reports": reverse("reports"),
        "csv": reverse("report_csv"),
        "roster": reverse("report_roster"),
        "summary": reverse("report_summary_pdf"),
        "zip": reverse("report_zip"),
        "activity": reverse("activity_file", args=[course.slug]),
        "items": reverse("item_statistics", args=[course.slug]),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", {"*": 302}),
        ("passed_learner", {"*": 404}),
        ("author", {"*": 404, "items": 200}),
        ("board", {"*": 200}),
        ("admin_user", {"*": 200}),
    ],
)
def test_permission_matrix_over_every_report_url(request, client, certificate, course, persona, expected):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    for name, url in report_urls(course).items():
        response = client.get(url)
        want = expected.get(name, expected["*"])
        assert response.status_code == want, (persona, name, response.status_code)
        if want == 302:
            assert reverse("login") in response["Location"]
    mark = client.post(reverse("roster_mark_reported"))
    assert mark.status_code == (302 if persona in ("anonymous", "board", "admin_user") else 404)


def test_report_page_shows_rows_summary_and_charts(client, board, certificate):
    client.force_login(board)
    response = client.get(reverse("reports"))
    text = response.text
    assert certificate.serial in text and "Alice Nguyen" in text and "FL RN1234567" in text
    assert "Completions per month" in text and "<svg" in text and 'role="img"' in text
    assert "Contact hours awarded" in text


def test_report_page_runs_the_same_queries_for_1_and_25_certificates(
    client, board, certificate, course, post_test
):
    client.force_login(board)

    def count():
        client.get(reverse("reports"))  # fills the cache (session, user): the second request is counted
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reports")).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in range(24):
        nurse = UserFactory()
        LicenseFactory(user=nurse, state="GA", number=f"GA{n}")
        complete_modules(nurse, course)
        pass_post_test(nurse, post_test)
        finish_course(nurse, course)
    assert count() == one


def test_filter_by_state_and_bad_dates(client, board, certificate):
    client.force_login(board)
    assert certificate.serial not in client.get(reverse("reports"), {"state": "GA"}).text
    assert certificate.serial in client.get(reverse("reports"), {"state": "FL"}).text
    bad = client.get(reverse("reports"), {"completed_from": "2026-05-01", "completed_to": "2026-01-01"})
    assert bad.status_code == 400 and "before the start date" in bad.text
    assert client.get(reverse("reports"), {"completed_from": "not-a-date"}).status_code == 400
    assert client.get(reverse("report_csv"), {"state": "ZZ"}).status_code == 400


def test_every_download_is_recorded_with_its_filter(client, board, certificate, course):
    client.force_login(board)
    b"".join(client.get(reverse("report_csv"), {"state": "FL"}).streaming_content)
    client.get(reverse("report_roster"))
    client.get(reverse("report_summary_pdf"))
    b"".join(client.get(reverse("report_zip")).streaming_content)
    client.get(reverse("activity_file", args=[course.slug]))
    exports = list(ReportDownload.objects.order_by("pk").values_list("export", flat=True))
    assert len(exports) == 5 and exports[0] == "completions.csv"
    assert ReportDownload.objects.first().user == board
    assert ReportDownload.objects.get(export="completions.csv").filters == {"state": "FL", "status": "live"}


def test_csv_download_has_bom_and_the_row(client, board, certificate):
    client.force_login(board)
    response = client.get(reverse("report_csv"))
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    assert certificate.serial.encode() in content
    assert response["Content-Disposition"].startswith("attachment;")


def test_mark_reported_then_roster_has_only_new_lines(client, board, certificate, course, post_test):
    client.force_login(board)
    first = load_workbook(io.BytesIO(b"".join(client.get(reverse("report_roster")).streaming_content))).active
    # openpyxl gives an empty sheet one row too: check the row itself.
    (row,) = [tuple(row[4:]) for row in first.iter_rows(values_only=True)]
    assert row[0] == "RN1234567" and row[2:] == ("State=FL", "Profession=RN")
    marked = client.post(reverse("roster_mark_reported"))
    assert RosterBatch.objects.count() == 1
    assert marked["Location"] == reverse("roster_batch", args=[RosterBatch.objects.get().pk])
    nurse = UserFactory()
    LicenseFactory(user=nurse, state="GA", number="GA77")
    complete_modules(nurse, course)
    pass_post_test(nurse, post_test)
    finish_course(nurse, course)
    second = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("report_roster")).streaming_content))
    ).active
    numbers = [row[4] for row in second.iter_rows(values_only=True)]
    assert "GA77" in numbers and "RN1234567" not in numbers
    first_batch = RosterBatch.objects.order_by("pk").first()
    again = load_workbook(
        io.BytesIO(client.get(reverse("roster_batch", args=[first_batch.pk])).content)
    ).active
    assert "RN1234567" in [row[4] for row in again.iter_rows(values_only=True)]
    nothing = client.post(reverse("roster_mark_reported") + "?state=FL", follow=True)
    assert "Nothing new to report" in nothing.text


def test_zip_holds_the_stored_pdfs(client, board, certificate):
    client.force_login(board)
    content = b"".join(client.get(reverse("report_zip")).streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read(f"certificate-{certificate.serial}.pdf") == bytes(certificate.pdf)


def responses_per_question(page):
    """{question label: responses} from the item statistics table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return {label: int(n) for label, n in re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(\d+)", body)}


def test_item_statistics_first_and_all_attempts(
    client, author, certificate, course, post_test, other_learner
):
    # Bob fails once, then passes: his second attempt counts only when all attempts are asked for.
    complete_modules(other_learner, course)
    failed = quiz_services.attempt_start(user=other_learner, quiz=post_test, all_modules_complete=True)
    quiz_services.attempt_submit(attempt=failed)
    assert pass_post_test(other_learner, post_test).passed
    client.force_login(author)
    url = reverse("item_statistics", args=[course.slug])
    first = client.get(url)
    every = client.get(url, {"attempts": "all"})
    assert "each learner's first attempt" in first.text and "Computed on all attempts" in every.text
    first_counts, all_counts = responses_per_question(first.text), responses_per_question(every.text)
    assert len(first_counts) == post_test.questions.count()
    assert set(first_counts.values()) == {2} and set(all_counts.values()) == {3}
    assert first_counts.keys() == all_counts.keys()


def test_summary_pdf_prints_the_filter_it_was_given(client, board, certificate):
    client.force_login(board)
    florida, georgia = (
        " ".join(pdf_text(client.get(reverse("report_summary_pdf"), {"state": state}).content).split())
        for state in ("FL", "GA")
    )
    today = timezone.localdate()
    assert f"Generated {today:%B} {today.day}, {today.year}" in florida
    assert "License state Florida" in florida and certificate.serial in florida
    assert "License state Georgia" in georgia and certificate.serial not in georgia
    assert "No completions match this filter." in georgia


def test_report_pages_are_get_only(client, board):
    client.force_login(board)
    assert client.post(reverse("reports")).status_code == 405
    assert client.get(reverse("roster_mark_reported")).status_code == 405
