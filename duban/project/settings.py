"""Django settings, all driven by ``DUBAN_*`` environment variables (see ``duban.conf``).

Times are stored in UTC and shown in ``DUBAN_TIME_ZONE`` (Asia/Shanghai by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from duban import conf

BASE_DIR = Path(__file__).resolve().parent.parent
conf.private_umask()
DUBAN_HOME = conf.home()

SECRET_KEY = conf.secret_key()
DEBUG = conf.env_bool("DUBAN_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DUBAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DUBAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "duban.core",
    "duban.org",
    "duban.documents",
    "duban.plans",
    "duban.supervision",
    "duban.bulletins",
    "duban.battlemap",
    "duban.assessment",
    "duban.projects",
    "duban.instructions",
    "duban.indicators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "duban.core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "duban.org.tokens.AddressRateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "duban.org.authn.SessionSecurityMiddleware",
    "duban.org.twofactor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "duban.core.middleware.AuditActorMiddleware",
    "duban.core.middleware.BadInputMiddleware",
]

ROOT_URLCONF = "duban.project.urls"
WSGI_APPLICATION = "duban.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "duban.project.context_processors.navigation",
                "duban.core.headers.csp_nonce",
            ],
        },
    },
]

# Each server thread keeps its connection for DUBAN_DB_CONN_MAX_AGE seconds: reconnecting
# per request costs more than most of our queries (on SQLite, opening the file re-reads the
# whole schema: a sixth of a kept page's time). On PostgreSQL Django checks a reused
# connection before the request uses it, so a database restart or a pgbouncer that closed
# the link costs one reconnect, not an error page.
DATABASES = {
    "default": dj_database_url.parse(
        conf.database_url(),
        conn_max_age=int(os.environ.get("DUBAN_DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if conf.env_bool("DUBAN_PGBOUNCER", False):
    # pgbouncer in transaction mode: a connection belongs to us only within a transaction,
    # so give it back after each request and never hold a cursor open across statements.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes write to one file (the server's workers, the job worker, a CLI
    # import). WAL lets them read while one writes; immediate transactions take the write
    # lock at BEGIN, so two writers queue instead of deadlocking on a lock upgrade; and the
    # busy timeout makes a writer wait for the lock instead of failing a clerk's save with
    # "database is locked". No transaction holds the lock for long: jobs run outside one.
    _busy = float(os.environ.get("DUBAN_SQLITE_BUSY_TIMEOUT", "20"))
    DATABASES["default"]["OPTIONS"] = {
        "timeout": _busy,
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={int(_busy * 1000)};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # A file cannot go away like a server: nothing to check before reuse. A kept connection
    # holds no snapshot between requests (autocommit), and `duban restore` writes into the
    # same file through SQLite's backup API, which kept connections see.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # A database file written before its folder was private keeps its old mode otherwise.
    for _suffix in ("", "-wal", "-shm"):
        conf.private_file(Path(f"{DATABASES['default']['NAME']}{_suffix}"))

# Headers and transport (docs/security.md). The Content-Security-Policy is set by
# duban.core.headers; these are Django's own.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind TLS (DUBAN_HTTPS=true): redirect plain HTTP, send HSTS, and never send the
# session or CSRF cookie without TLS. The proxy in front must set X-Forwarded-Proto.
DUBAN_HTTPS = conf.env_bool("DUBAN_HTTPS", False)
if DUBAN_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DUBAN_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

# Log-in security (duban.org.authn, docs/security.md "Authentication").
AUTHENTICATION_BACKENDS = ["duban.org.authn.LockoutBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "duban.org.authn.LengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "duban.org.authn.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "duban.org.authn.NotContainingLoginValidator"},
    {"NAME": "duban.org.authn.RecentPasswordValidator", "OPTIONS": {"count": 5}},
]
DUBAN_LOCKOUT_ATTEMPTS = int(os.environ.get("DUBAN_LOCKOUT_ATTEMPTS", "5"))
DUBAN_LOCKOUT_MINUTES = int(os.environ.get("DUBAN_LOCKOUT_MINUTES", "15"))
DUBAN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("DUBAN_PASSWORD_MAX_AGE_DAYS", "90"))
DUBAN_SESSION_IDLE_MINUTES = int(os.environ.get("DUBAN_SESSION_IDLE_MINUTES", "30"))
DUBAN_SESSION_MAX_HOURS = float(os.environ.get("DUBAN_SESSION_MAX_HOURS", "12"))
# Two-factor (TOTP) for the office, staff and superusers; `duban demo` turns it off.
DUBAN_REQUIRE_2FA = conf.env_bool("DUBAN_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "duban"
DUBAN_TRUST_X_FORWARDED_FOR = conf.env_bool("DUBAN_TRUST_X_FORWARDED_FOR", False)
# API tokens: requests per token and per client address (DRF's "N/second|minute|hour|day").
DUBAN_API_RATE_TOKEN = os.environ.get("DUBAN_API_RATE_TOKEN", "120/minute")
DUBAN_API_RATE_IP = os.environ.get("DUBAN_API_RATE_IP", "300/minute")
# How long an Idempotency-Key keeps its first answer (duban/core/idempotency.py).
DUBAN_IDEMPOTENCY_HOURS = int(os.environ.get("DUBAN_IDEMPOTENCY_HOURS", "24"))
# The district cascade between two instances (docs/cascade.md). On a district's instance:
# the secret the city signs its task.cascaded webhooks with, how far a delivery's
# timestamp may be from now, and the city's address and the district clerk's API token
# that progress is reported back with.
DUBAN_CASCADE_SECRET = os.environ.get("DUBAN_CASCADE_SECRET", "")
DUBAN_CASCADE_MAX_SKEW = int(os.environ.get("DUBAN_CASCADE_MAX_SKEW", "300"))
DUBAN_CASCADE_CITY_URL = os.environ.get("DUBAN_CASCADE_CITY_URL", "").rstrip("/")
DUBAN_CASCADE_CITY_TOKEN = os.environ.get("DUBAN_CASCADE_CITY_TOKEN", "")
# Rendered page bodies, per server process, keyed by the state they show (core/pagecache.py).
# 0 seconds turns the cache off; the entry count bounds its memory (a task page is 20-60 KB).
DUBAN_PAGE_CACHE_SECONDS = int(os.environ.get("DUBAN_PAGE_CACHE_SECONDS", "600"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DUBAN_HOME / "cache" / "pages"),
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("DUBAN_PAGE_CACHE_ENTRIES", "2000"))},
    },
}
# The cookie outlives neither the absolute timeout nor the browser.
SESSION_COOKIE_AGE = max(60, int(DUBAN_SESSION_MAX_HOURS * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("DUBAN_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = DUBAN_HOME / "static"
# Serve static files straight from the installed packages: no collectstatic step is needed
# on a laptop, and nothing is ever fetched from a CDN.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
conf.private_dir(STATIC_ROOT)  # whitenoise expects it even when serving from finders
MEDIA_URL = "/media/"
MEDIA_ROOT = DUBAN_HOME / "media"
# Uploads are private to the server's account, whatever its umask (Django's default is 0644).
FILE_UPLOAD_PERMISSIONS = conf.PRIVATE_FILE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = conf.PRIVATE_DIR
# Uploads, evidence, documents and bulletins live in Django's default storage: a folder
# under DUBAN_HOME on one machine, or an S3-compatible object store (MinIO, a cloud's OSS)
# when DUBAN_S3_BUCKET is set, so that app and worker processes on several machines share
# them and keep no state of their own (docs/operations.md, "Object storage"). Files are
# always served through duban's permission-checked views, never by the store's own URLs.
# On a local disk, an upload that fills it leaves no partial file and tells the clerk so
# (core/storage.py).
STORAGES = {
    "default": {"BACKEND": "duban.core.storage.UploadStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DUBAN_S3_BUCKET = os.environ.get("DUBAN_S3_BUCKET", "")
if DUBAN_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DUBAN_S3_BUCKET,
            "endpoint_url": os.environ.get("DUBAN_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("DUBAN_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("DUBAN_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("DUBAN_S3_REGION") or None,
            "location": os.environ.get("DUBAN_S3_PREFIX", ""),
            # Path-style addresses work with every S3-compatible server, not only AWS.
            "addressing_style": "path",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Uploads: a clerk's evidence files and reports. Larger files are refused with a message.
DUBAN_MAX_UPLOAD_BYTES = int(os.environ.get("DUBAN_MAX_UPLOAD_MB", "20")) * 1024 * 1024
# Which packaged unit catalog lead suggestions come from: the level of government this
# office serves (city, province or national). The upload form may choose another.
DUBAN_UNIT_LEVEL = os.environ.get("DUBAN_UNIT_LEVEL", "city")
if DUBAN_UNIT_LEVEL not in ("city", "province", "national"):
    raise ValueError("DUBAN_UNIT_LEVEL must be city, province or national")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Run a background job inside the request that enqueued it (tests, a demo without worker).
DUBAN_INLINE_JOBS = conf.env_bool("DUBAN_INLINE_JOBS", False)
# How long a claimed job belongs to its worker before another may take it over: longer than
# the longest job, short enough that a killed worker's job is retried the same day.
DUBAN_JOB_LEASE_SECONDS = int(os.environ.get("DUBAN_JOB_LEASE_SECONDS", "1800"))
# The wait before a failed job's first retry, doubled at each attempt (up to an hour); a
# killed worker's job also waits at least this long. Short in the fault tests only.
DUBAN_JOB_BACKOFF_SECONDS = int(os.environ.get("DUBAN_JOB_BACKOFF_SECONDS", "30"))

# Formal documents (bulletins, notices): the issuing organ printed in red and the prefix of
# document numbers such as 青督办〔2026〕3号.
DUBAN_OFFICE_ORGAN = os.environ.get("DUBAN_OFFICE_ORGAN", "青澜市人民政府督查室")
DUBAN_DOC_PREFIX = os.environ.get("DUBAN_DOC_PREFIX", "青督办")

REST_FRAMEWORK = {
    # The token class comes first: its WWW-Authenticate header makes a missing or bad
    # credential a 401, as the docs promise, instead of DRF's 403 for session-only APIs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "duban.org.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "duban.org.tokens.TokenScope",
    ],
    # Per token here; per address in duban.org.tokens.AddressRateLimitMiddleware, which
    # runs before authentication so that guessing keys is slowed too.
    "DEFAULT_THROTTLE_CLASSES": ["duban.org.tokens.TokenRateThrottle"],
    # The client address for the per-address limit: REMOTE_ADDR, or the proxy's
    # X-Forwarded-For only when the deployment says there is one.
    "NUM_PROXIES": 1 if DUBAN_TRUST_X_FORWARDED_FOR else 0,
    "DEFAULT_PAGINATION_CLASS": "duban.core.listing.DubanPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "duban.core.api.exception_handler",
    # The usual parsers, with JSON nested too deep for Python refused as a 400.
    "DEFAULT_PARSER_CLASSES": [
        "duban.core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "duban API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components ("UploadRequest"): a file is then
    # "format: binary" as clients need to send it, not the URL an answer would give.
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are documented as JSON (uploads say multipart themselves): three equivalent
    # encodings of every body made generated clients ambiguous.
    "PARSER_WHITELIST": ["duban.core.api.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "duban.core.api.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DUBAN_LOG_LEVEL", "WARNING")},
}

# Mail for notices (督办通知). Unset host = mail is not sent (the inbox still works).
EMAIL_HOST = os.environ.get("DUBAN_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DUBAN_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DUBAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DUBAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = conf.env_bool("DUBAN_SMTP_STARTTLS", False)
EMAIL_USE_SSL = conf.env_bool("DUBAN_SMTP_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DUBAN_MAIL_FROM", "duban@localhost")
