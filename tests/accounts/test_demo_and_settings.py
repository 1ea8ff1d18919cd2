"""Set-up safety: demo accounts only with DEBUG on; production settings pass check --deploy."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_accounts_are_created_once_and_printed(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    assert "learner@example.com" in out.getvalue() and "password:" in out.getvalue()
    again = StringIO()
    call_command("create_demo_accounts", stdout=again)
    assert "already exist" in again.getvalue()
    assert User.objects.count() == 4
    assert User.objects.get(email="author@example.com").groups.filter(name="Authors").exists()
    assert User.objects.get(email="board@example.com").groups.filter(name="CE board").exists()


@pytest.mark.django_db
def test_demo_accounts_refuse_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("create_demo_accounts")
    assert not User.objects.exists()


def test_check_deploy_is_clean_with_production_environment():
    # Only the browser tests need DJANGO_ALLOW_ASYNC_UNSAFE; production never sets it.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "a-real-production-secret-key-with-enough-entropy-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "ce.example.org",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "unused-check.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
