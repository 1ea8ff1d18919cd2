"""Settings for `make bench`: production settings served over plain HTTP on 127.0.0.1.

The project's settings decide several values from DEBUG at import time (hashed static files,
secure cookies, HSTS), so DEBUG and SECRET_KEY are put in the environment before importing
them; the HTTPS-only parts are then switched off because the benchmark talks plain HTTP.
"""

import os
import secrets

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("BENCH_HELLO", "true")
# Production settings ask for the signing keys' directory; the benchmarks' pages sign nothing.
os.environ.setdefault("CE_SIGNING_KEY_DIR", "/tmp/cecourse-bench-signing-keys")  # noqa: S108

from ce_course.settings import *  # noqa: F403

DEBUG = False
BENCH_HELLO = True
# "testserver" is the host of django.test.Client, which counts the queries in-process.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", "/tmp/cecourse-bench-static")  # noqa: S108
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Only errors reach the log: 4xx warnings would flood it under load and cost time per request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
