"""REDIS_URL moves the cache (and the cached half of the sessions) to Django's Redis backend;
production settings stay clean under check --deploy with it; tasks go to the database queue."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps([settings.CACHES['default'], settings.SESSION_ENGINE, settings.TASKS['default']['BACKEND']]))"
)


def settings_with(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TASKS_BACKEND")}
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "ce_course.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_redis_url_the_database_serves_cache_and_queue():
    cache, sessions, tasks = settings_with()
    assert cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert sessions == "django.contrib.sessions.backends.cached_db"
    assert tasks == "django_tasks_db.DatabaseBackend"


def test_redis_url_switches_the_cache_to_djangos_redis_backend():
    cache, sessions, _ = settings_with(REDIS_URL="unix:///run/redis/redis.sock?db=2")
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "unix:///run/redis/redis.sock?db=2"
    assert sessions == "django.contrib.sessions.backends.cached_db"  # read from Redis, kept in the database


def test_check_deploy_is_clean_with_redis_and_production_environment():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghij",
        "ALLOWED_HOSTS": "ce.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
