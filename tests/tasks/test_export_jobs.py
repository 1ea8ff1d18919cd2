"""Large exports as background jobs: the job row, its progress page (no JavaScript), its download
(owner and admin only, logged), the file's expiry, and a job that runs once."""

import csv
import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ce_course.models import AuditEvent
from reports import jobs
from reports.models import ExportJob, ReportDownload
from tests.conftest import login
from tests.factories import UserFactory
from tests.reports.test_exports import make_certificates
from tests.tasks.conftest import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_jobs(settings, tmp_path):
    """Anything over 2 rows is a job; files go to a throwaway media directory."""
    settings.EXPORT_JOB_ROWS = 2
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def completions(course):
    return make_certificates(course, 3)


def ask_csv(client):
    return client.get(reverse("report_csv"), {"status": "live"})


def test_an_export_over_the_limit_becomes_a_job_and_its_page_refreshes_until_ready(
    client, board, completions, database_tasks
):
    response = ask_csv(login(client, board))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("export_job", args=[job.pk])
    assert (job.user, job.kind, job.status, job.filters) == (
        board,
        "completions.csv",
        "queued",
        {"status": "live"},
    )

    page = client.get(response.url).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert re.search(r"<progress[^>]*max=\"100\"[^>]*value=\"0\"[^>]*>0%</progress>", page)
    assert "Waiting for the worker" in page and "Download" not in page

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("ready", 3, 3)
    assert job.expires_at == job.finished_at + timedelta(days=7)
    page = client.get(response.url).content.decode()
    assert "http-equiv" not in page
    assert reverse("export_job_download", args=[job.pk]) in page and 'value="100"' in page


def test_an_export_within_the_limit_is_still_sent_at_once(client, board, course, settings):
    make_certificates(course, 2)
    response = ask_csv(login(client, board))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not ExportJob.objects.exists()


def test_the_jobs_file_is_the_same_csv_and_its_download_is_logged(client, board, completions):
    job_url = ask_csv(login(client, board)).url
    job = ExportJob.objects.get()
    response = client.get(reverse("export_job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="completions-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4  # the header and three certificates
    download = ReportDownload.objects.get()
    assert (download.user, download.export, download.row_count, download.filters) == (
        board,
        "completions.csv",
        3,
        {"status": "live"},
    )
    assert AuditEvent.objects.filter(action="report.downloaded", actor=board).exists()
    assert job_url == reverse("export_job", args=[job.pk])


@pytest.mark.parametrize(
    ("url_name", "kind", "magic"),
    [
        ("report_zip", "certificates.zip", b"PK"),
        ("report_roster", "roster.xlsx", b"PK"),
        ("report_summary_pdf", "summary.pdf", b"%PDF"),
    ],
)
def test_every_filtered_export_can_be_a_job(client, board, completions, url_name, kind, magic):
    login(client, board).get(reverse(url_name))
    job = ExportJob.objects.get()
    assert (job.kind, job.status) == (kind, "ready")
    with job.file.open("rb") as stored:
        assert stored.read(len(magic)) == magic


def test_a_large_activity_file_is_a_job(client, board, course, completions):
    login(client, board).get(reverse("activity_file", args=[course.slug]))
    job = ExportJob.objects.get()
    assert (job.kind, job.course, job.status, job.total) == ("activity-file.pdf", course, "ready", 3)
    client.get(reverse("export_job_download", args=[job.pk]))
    assert ReportDownload.objects.get().export == f"activity-file-{course.slug}.pdf"


def test_asking_again_while_the_job_waits_returns_the_same_job(client, board, completions, database_tasks):
    first = ask_csv(login(client, board)).url
    assert ask_csv(client).url == first
    assert ExportJob.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_only_the_owner_and_an_admin_see_and_download_a_job(client, board, admin_user, learner, completions):
    ask_csv(login(client, board))
    job = ExportJob.objects.get()
    other_reviewer = UserFactory(email="reviewer2@example.com")
    other_reviewer.groups.add(*board.groups.all())
    for user, expected in ((other_reviewer, 404), (learner, 404), (admin_user, 200), (board, 200)):
        client.force_login(user)
        assert client.get(reverse("export_job", args=[job.pk])).status_code == expected, user
        assert client.get(reverse("export_job_download", args=[job.pk])).status_code == expected, user
    client.force_login(other_reviewer)
    assert reverse("export_job", args=[job.pk]) not in client.get(reverse("export_jobs")).content.decode()
    client.logout()
    assert client.get(reverse("export_job", args=[job.pk])).status_code == 302  # to the log-in page


def test_my_exports_lists_the_reviewers_jobs_with_their_state(client, board, completions, database_tasks):
    ask_csv(login(client, board))
    page = client.get(reverse("export_jobs")).content.decode()
    assert "Completions (CSV)" in page and "Waiting for the worker" in page
    assert client.post(reverse("export_jobs")).status_code == 405


def test_progress_is_written_as_rows_are_made_and_never_passes_the_total(board, completions):
    job = ExportJob.objects.create(user=board, kind="completions.csv")
    with mock.patch.object(jobs, "PROGRESS_EVERY", 2):
        progress = jobs.Progress(job.pk, 3)
        progress.advance()
        assert ExportJob.objects.get(pk=job.pk).done == 0
        progress.advance()
        assert ExportJob.objects.get(pk=job.pk).done == 2
        progress.advance(5)  # rows added since the count
        assert progress.done == 3 and ExportJob.objects.get(pk=job.pk).done == 3


def test_files_are_deleted_after_the_keeping_time_and_the_row_stays(client, board, completions):
    ask_csv(login(client, board))
    job = ExportJob.objects.get()
    path = job.file.path
    assert jobs.export_jobs_expire(now=job.expires_at - timedelta(seconds=1)) == 0
    call_command("export_jobs_cleanup", stdout=io.StringIO())  # not yet due
    assert ExportJob.objects.get().status == "ready"

    with mock.patch("django.utils.timezone.now", return_value=job.expires_at + timedelta(seconds=1)):
        out = io.StringIO()
        call_command("export_jobs_cleanup", stdout=out)
    assert "Deleted 1" in out.getvalue()
    job.refresh_from_db()
    assert job.status == "expired" and not job.file
    import os

    assert not os.path.exists(path)
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    assert "was deleted" in client.get(reverse("export_job", args=[job.pk])).content.decode()


def test_a_job_whose_worker_died_is_marked_failed(board):
    job = ExportJob.objects.create(
        user=board, kind="completions.csv", status="running", started_at=timezone.now() - timedelta(hours=7)
    )
    jobs.export_jobs_expire()
    job.refresh_from_db()
    assert job.status == "failed" and "stopped" in job.error


def test_a_job_runs_once_even_when_enqueued_twice(board, completions, database_tasks, tmp_path):
    job = jobs.export_job_create(user=board, kind="completions.csv", f=jobs.filter_from_dict({}))
    jobs.export_job_run.enqueue(job.pk)
    run_worker()
    results = sorted(r.return_value for r in DBTaskResult.objects.all())
    assert results == ["not queued", "ready"]
    assert len(list((tmp_path / "exports").rglob("*.csv"))) == 1


def test_a_failing_export_says_so_and_leaves_no_file(client, board, completions, tmp_path):
    with mock.patch.dict(jobs.WRITERS, {"completions.csv": mock.Mock(side_effect=RuntimeError("boom"))}):
        job_url = ask_csv(login(client, board)).url
    job = ExportJob.objects.get()
    assert job.status == "failed" and not job.file
    page = client.get(job_url).content.decode()
    assert "could not be made" in page and "http-equiv" not in page
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    assert not list(tmp_path.rglob("*.csv"))


def test_the_board_menu_links_to_my_exports(client, board, learner):
    assert reverse("export_jobs") in login(client, board).get(reverse("reports")).content.decode()
    assert reverse("export_jobs") not in login(client, learner).get(reverse("dashboard")).content.decode()


def test_the_reviewer_can_stop_the_self_reload_and_the_choice_is_kept(
    client, board, completions, database_tasks
):
    job_url = ask_csv(login(client, board)).url
    assert "http-equiv" in client.get(job_url).content.decode()
    page = client.get(job_url, {"refresh": "off"}).content.decode()
    assert "http-equiv" not in page and "Check again" in page
    assert "http-equiv" not in client.get(job_url).content.decode()  # kept in her session
    assert "http-equiv" in client.get(job_url, {"refresh": "on"}).content.decode()


def test_the_roster_job_reads_its_lines_one_at_a_time(client, board, completions, monkeypatch):
    from reports import services
    from reports.filters import CompletionFilter

    def every_line_in_a_list(f):  # what made the roster's memory grow with its size
        raise AssertionError("the roster job must stream its lines")

    monkeypatch.setattr(services, "roster_lines", every_line_in_a_list)
    login(client, board).get(reverse("report_roster"))
    job = ExportJob.objects.get()
    assert job.status == "ready"
    assert job.total == job.done == services.unreported_line_count(CompletionFilter()) > 0


def test_export_files_go_to_the_private_exports_storage_not_the_images_one(
    client, board, completions, monkeypatch, tmp_path
):
    # Images may sit in a public-read bucket (STORAGES["default"]); exports hold personal data.
    from django.core.files.storage import FileSystemStorage, storages

    from reports.models import exports_storage

    field = ExportJob._meta.get_field("file")
    assert field.deconstruct()[3]["storage"] is exports_storage
    assert field.storage is not storages["default"]
    private = tmp_path / "private"
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=private))
    ask_csv(login(client, board))
    job = ExportJob.objects.get()
    assert (private / job.file.name).is_file()
    assert not (tmp_path / job.file.name).exists()
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 200
