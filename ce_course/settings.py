"""One settings file, driven by environment variables.

The defaults are safe for a laptop (DEBUG on, SQLite, console email). Production sets
DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and the SMTP variables; with those,
`manage.py check --deploy --fail-level WARNING` is clean.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# A development key is only acceptable while DEBUG is on; production must set its own.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Absolute base used in emails and on certificates (the verification link must work off-site).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "axes",
    "crispy_bootstrap5",
    "ce_course",
    "accounts",
    "modules",
    "quizzes",
    "certificates",
    "reports",
    "credentials",
    "reminders",
    # Django's Tasks API (the django-tasks backport; Django 6 has it built in as django.tasks) and
    # its database backend: the queue is a table, so no broker runs beside PostgreSQL.
    "django_tasks",
    "django_tasks_db",
    "lti",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ce_course.middleware.ContentSecurityPolicyMiddleware",
    # Above sessions, CSRF and X-Frame-Options: it adjusts their cookies and header for LTI frames.
    "lti.middleware.LtiFrameMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ce_course.urls"
WSGI_APPLICATION = "ce_course.wsgi.application"

# The site's pages are Jinja2 templates in ce_course/jinja2/ (ce_course/jinja_env.py says why);
# the Django admin, its overrides in ce_course/templates/admin/, crispy-forms and the password
# reset subject keep Django's engine. Both engines run the same context processors.
CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "ce_course.context_processors.roles",
    "ce_course.context_processors.site_links",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "ce_course" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "ce_course.jinja_env.environment",
            "context_processors": CONTEXT_PROCESSORS,
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ce_course" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL 15's JIT spends seconds compiling the large report queries before running them.
    # Parallel workers: the board's queries stop at a page of rows, and starting two workers cost
    # more than the scan they shared (state NV at a million: 37 ms with them, 10 ms without); with
    # several reviewers at once on two cores, the workers only take CPU from the other requests.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c jit=off -c max_parallel_workers_per_gather=0"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer overlap; the busy timeout makes a second writer wait
    # instead of failing with "database is locked" under concurrent requests.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }

# The cache: Django's own DatabaseCache, a table in the database (created by ce_course's migration
# 0002), shared by every worker process and host without another service to run. It holds plain
# data only: sessions, the logged-in user's column values and group names, and the content and
# roles versions (docs/architecture.md, "What is cached").
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ce_course_cache",
        "TIMEOUT": 3600,
        # Sessions live here too: room for every active learner before the oldest are culled.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}

# With REDIS_URL (redis://host:port/0 or unix:///path/redis.sock?db=0) the cache, and with it the
# cached half of the sessions, moves to Django's built-in Redis backend: a deployment that runs
# Redis takes that load off the database. Without it the database table above serves.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": 3600,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cecourse"),
    }

# Background work (README "Background work"): certificate emails and large exports are tasks.
# The database backend keeps the queue in a table that `manage.py db_worker` reads; `make run`
# starts that worker beside runserver. TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend
# runs each task inside the request that enqueues it (the tests do this; nothing else needs a worker).
TASKS = {
    "default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")},
}
# An export with more rows than this is made by the worker instead of the request (reports/jobs.py),
# and its file is kept this many days, then deleted by `manage.py export_jobs_cleanup`.
EXPORT_JOB_ROWS = int(os.environ.get("EXPORT_JOB_ROWS", "20000"))
EXPORT_JOB_KEEP_DAYS = int(os.environ.get("EXPORT_JOB_KEEP_DAYS", "7"))
# Their files go to STORAGES["exports"] (below, with the images' storage).

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Log-in abuse (django-axes): 5 failed log-ins on one account, from any address, lock that
# account for 15 minutes; a success resets its count. From the 3rd failure in a row, each answer
# waits a second (accounts.forms.LoginForm). One address is locked only after 100 failures across
# accounts within the same 15 minutes (AXES_ADDRESS_FAILURE_LIMIT, checked in accounts.forms).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the logged-in user built from values in the cache (accounts/backends.py).
    "accounts.backends.CachedUserBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# The account alone: keyed on the address too, one nurse's five typos locked every colleague
# behind a hospital's shared NAT address.
AXES_LOCKOUT_PARAMETERS = ["username"]
# Ours, not django-axes' (it has one limit for every parameter): failures from one address across
# all accounts. A 500-nurse hospital where 40 nurses log in within 15 minutes, each mistyping twice
# (more than we see), makes 80; an address at 100 is guessing, not mistyping. The account lock
# still holds each account to 5 guesses, so the address limit only slows spraying across accounts.
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "100"))
# The log-in form posts the email as "username" (Django's AuthenticationForm); axes would look for "email".
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The 3rd failure in a row and later ones are answered after AXES_SLOW_SECONDS (README agrees).
AXES_SLOW_AFTER_FAILURES = 3
AXES_SLOW_SECONDS = float(os.environ.get("AXES_SLOW_SECONDS", "1"))
# axes.W006 asks for "ip_address" in AXES_LOCKOUT_PARAMETERS: the address has its own, higher
# limit above instead of sharing the account's 5.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if env_bool("BEHIND_TLS_PROXY", False):
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "catalogue"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
# English only: without translation machinery every number and date in a template formats faster
# (README "Performance": about a tenth of a lesson page's render time).
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from the npm package (package-lock.json pins it); never a CDN or a copy in the repo.
STATICFILES_DIRS = [
    BASE_DIR / "ce_course" / "static",
    ("bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
# Files, through Django's storage API; both default to local files under MEDIA_ROOT, which every
# app server and the worker must see (a file written by one is read through any other).
# - "default": uploaded images (README "Images in lessons and questions"). Public to anyone with the
#   URL; the site serves them itself at /media/images/ (modules.views.image_file), whatever the backend.
# - "exports": background exports (reports/jobs.py), with learners' personal data. Private: only the
#   job's page serves them, to their owner. Object storage for it must be a private bucket, never the
#   images' public-read one.
# Django serves nothing at MEDIA_URL itself: every file goes through one of those views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", str(2 * 1024 * 1024)))
# The provider's logo and nurse planner's signature: small images, so a smaller limit.
PROVIDER_IMAGE_MAX_BYTES = int(os.environ.get("PROVIDER_IMAGE_MAX_BYTES", str(512 * 1024)))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Locally the same directory as "default" (files under MEDIA_ROOT/exports/); its own alias so
    # that object storage can put it in a private bucket.
    "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: the console in development; SMTP from the environment in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds for each SMTP step (connect, each command): a mail server that hangs must not hold the
# worker for ever. Sends run outside any database transaction (ce_course.deliveries).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CE Course <no-reply@localhost>")

# Security headers. Production (DEBUG off) gets HTTPS-only cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's cached_db sessions: read through the cache, written to both (README "Performance" has the
# figures against plain db sessions). The cache is a table in the same database, so every worker
# sees the same entries: a log-out deletes the cached session for all of them at once.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Module time tracking: the server credits the gap between two requests on the same module,
# never more than this per gap (a tab left open over lunch is not study time).
MODULE_TIME_CREDIT_CAP_SECONDS = int(os.environ.get("MODULE_TIME_CREDIT_CAP_SECONDS", "900"))

# The provider's signing keys (certificates/signing_keys.py): a directory of PEM key + certificate
# pairs, kept out of the repository. `make run` creates a development key there; production must name
# its own directory (made with `manage.py create_signing_key`, or holding a CA-issued certificate).
CE_SIGNING_KEY_DIR = os.environ.get("CE_SIGNING_KEY_DIR", "")
if not CE_SIGNING_KEY_DIR:
    if not DEBUG:
        raise RuntimeError("CE_SIGNING_KEY_DIR must be set when DEBUG is off.")
    CE_SIGNING_KEY_DIR = str(BASE_DIR / "var" / "signing-keys")
# Encrypts the private key files when set (read when they are loaded and written).
CE_SIGNING_KEY_PASSWORD = os.environ.get("CE_SIGNING_KEY_PASSWORD", "")
# An RFC 3161 time-stamping authority for the PDF signatures; none when empty (the signature then
# carries the signing time the server states).
CE_TSA_URL = os.environ.get("CE_TSA_URL", "")

# The "check a PDF" upload on /verify/: files above this many bytes get a 400 page (a certificate is
# about 45 KB). The file is held in memory only (certificates/uploads.py), never written to disk.
CE_VERIFY_UPLOAD_MAX_BYTES = int(os.environ.get("CE_VERIFY_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
# Checks per address per window (certificates/throttle.py); beyond it a 429 page until the window ends.
CE_VERIFY_PDF_CHECKS_PER_WINDOW = int(os.environ.get("CE_VERIFY_PDF_CHECKS_PER_WINDOW", "30"))
CE_VERIFY_PDF_WINDOW_SECONDS = int(os.environ.get("CE_VERIFY_PDF_WINDOW_SECONDS", "600"))

# `make bench` turns this on to route /bench/hello/, the bare-Django floor the pages are compared with.
BENCH_HELLO = env_bool("BENCH_HELLO", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every log-out at INFO; lock-outs are logged at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# LTI 1.3 (lti/): the tool's RSA keys are PEM files in this directory, never in the database
# (`manage.py lti_keys --create`); encrypted with LTI_KEY_PASSWORD when set. After a rotation the
# previous key stays in /lti/jwks/ for LTI_KEY_OVERLAP_HOURS.
LTI_KEY_DIR = os.environ.get("LTI_KEY_DIR", str(BASE_DIR / "lti-keys"))
LTI_KEY_PASSWORD = os.environ.get("LTI_KEY_PASSWORD", "")
LTI_KEY_OVERLAP_HOURS = int(os.environ.get("LTI_KEY_OVERLAP_HOURS", "72"))
