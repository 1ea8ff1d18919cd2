"""make backup / make restore round-trip a database; every certificate still verifies afterwards."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from certificates.models import Certificate
from tests.certificates.conftest import finish_course, pass_post_test
from tests.quizzes.conftest import complete_modules


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_keeps_certificates_verifiable(
    tmp_path, client, learner, course, post_test
):
    complete_modules(learner, course)
    pass_post_test(learner, post_test)
    certificate = finish_course(learner, course)
    backup = tmp_path / "backup.json.gz"
    call_command("backup", output=str(backup), stdout=StringIO())
    assert backup.exists() and not list(tmp_path.glob("*.partial"))

    learner.first_name = "Changed"
    learner.save()
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at="2026-01-01T00:00Z", revoked_reason="x")

    out = StringIO()
    call_command("restore", str(backup), yes=True, stdout=out)
    assert "every PDF hash checked" in out.getvalue()
    restored = Certificate.objects.get(serial=certificate.serial)
    assert restored.is_live and hashlib.sha256(bytes(restored.pdf)).hexdigest() == certificate.pdf_sha256
    assert User.objects.get(pk=learner.pk).first_name == "Alice"
    page = client.get(reverse("verify_code", args=[certificate.verification_code]))
    assert "Valid certificate" in page.text
    client.force_login(User.objects.get(pk=learner.pk))
    assert client.get(reverse("certificate_download", args=[certificate.serial])).content == bytes(
        certificate.pdf
    )


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_with_a_tampered_pdf(tmp_path, learner, course, post_test):
    import gzip
    import json

    complete_modules(learner, course)
    pass_post_test(learner, post_test)
    finish_course(learner, course)
    backup = tmp_path / "backup.json.gz"
    call_command("backup", output=str(backup), stdout=StringIO())
    data = json.loads(gzip.decompress(backup.read_bytes()))
    for row in data:
        if row["model"] == "certificates.certificate":
            row["fields"]["pdf_sha256"] = "0" * 64
    tampered = tmp_path / "tampered.json.gz"
    tampered.write_bytes(gzip.compress(json.dumps(data).encode()))
    with pytest.raises(CommandError, match="no longer matches"):
        call_command("restore", str(tampered), yes=True, stdout=StringIO())
    assert Certificate.objects.get().pdf_sha256 != "0" * 64


@pytest.mark.django_db(transaction=True)  # flush truncates: on PostgreSQL not inside the test's transaction
def test_restore_counts_the_board_totals_from_the_restored_rows(tmp_path, learner, course, post_test):
    # A backup made before the running totals existed holds none of their rows.
    import gzip
    import json

    from reports import selectors, services
    from reports.filters import CompletionFilter

    complete_modules(learner, course)
    pass_post_test(learner, post_test)
    finish_course(learner, course)
    backup = tmp_path / "backup.json.gz"
    call_command("backup", output=str(backup), stdout=StringIO())
    totals = {
        "reports.completionstats",
        "reports.completionfigures",
        "reports.unreportedlines",
        "reports.learnercounts",
    }
    data = [row for row in json.loads(gzip.decompress(backup.read_bytes())) if row["model"] not in totals]
    older = tmp_path / "older.json.gz"
    older.write_bytes(gzip.compress(json.dumps(data).encode()))
    call_command("restore", str(older), yes=True, stdout=StringIO())
    assert selectors.board_totals(CompletionFilter())["completed"] == Certificate.objects.count() == 1
    assert (
        services.unreported_line_count(CompletionFilter()) == services._unreported(CompletionFilter()).count()
    )


@pytest.mark.django_db(transaction=True)
def test_a_session_from_after_the_backup_does_not_survive_the_restore(tmp_path, client, learner):
    """Sessions and users are cached in a table flush does not touch: restore empties the cache."""
    backup = tmp_path / "backup.json.gz"
    call_command("backup", output=str(backup), stdout=StringIO())
    newcomer = User.objects.create_user(email="newcomer@example.com", password="a-long-passphrase")
    client.force_login(newcomer)
    assert client.get(reverse("dashboard")).status_code == 200  # session and user now cached
    call_command("restore", str(backup), yes=True, stdout=StringIO())
    assert not User.objects.filter(email="newcomer@example.com").exists()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url
