"""Motcua settings. Every value comes from the environment with a default safe for the embedded run.

Each variable is documented in docs/deploy.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent  # src/motcua
BASE_DIR = SRC_DIR.parent.parent  # repository root


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("MOTCUA_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env("MOTCUA_SECRET_KEY")
    if configured:
        return configured
    # Embedded run: a random key kept in the data directory, never a constant in the code.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Earlier secret keys, kept while rotating: sessions and signing keys encrypted under them still open.
SECRET_KEY_FALLBACKS = env_list("MOTCUA_SECRET_KEY_FALLBACKS")
DEBUG = env_bool("MOTCUA_DEBUG", False)
ALLOWED_HOSTS = env_list("MOTCUA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("MOTCUA_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("MOTCUA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Development PKI (`motcua pki init`): where its keys and certificates live, and the base URL that its
# certificates name for CRLs, OCSP and CA certificates (this deployment's /pki/ endpoints).
PKI_DIR = Path(env("MOTCUA_PKI_DIR", str(DATA_DIR / "pki")))
PKI_BASE_URL = env("MOTCUA_PKI_BASE_URL", SITE_URL).rstrip("/")
# RFC 3161 time-stamping authority for signatures (PAdES B-T and later); empty: the development PKI's own TSA,
# called in-process.
TSA_URL = env("MOTCUA_TSA_URL", "").strip()
# Verifying signatures (signatures.verification): the CA certificates trusted (PEM files, each may hold several:
# the national root CA, licensed CAs), whether the development PKI's root is trusted too (turn it off in
# production), the largest document checked, and public verifications per minute per client address.
TRUST_ANCHORS = env_list("MOTCUA_TRUST_ANCHORS")
TRUST_DEV_PKI = env_bool("MOTCUA_TRUST_DEV_PKI", True)
VERIFY_MAX_BYTES = env_int("MOTCUA_VERIFY_MAX_BYTES", 20 * 1024 * 1024)
VERIFY_RATE_PER_MINUTE = env_int("MOTCUA_VERIFY_RATE_PER_MINUTE", 30)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "django_prometheus",
    "django_tasks",
    "django_tasks_db",
    "motcua.core",
    "motcua.agencies",
    "motcua.accounts",
    "motcua.notifications",
    "motcua.signatures",
    "motcua.procedures",
    "motcua.payments",
    "motcua.dossiers",
    "motcua.feedback",
    "motcua.exchange",
    "motcua.web",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "motcua.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.web.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "motcua.core.middleware.RequestUserMiddleware",
    "motcua.accounts.middleware.OfficialSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "motcua.config.urls"
WSGI_APPLICATION = "motcua.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "motcua.web.context_processors.platform",
            ],
        },
    }
]

# Database: embedded SQLite in WAL mode unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'motcua.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("MOTCUA_DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE transactions take the write lock up front: no "database is locked" upgrades mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": env("MOTCUA_TEST_SQLITE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "motcua.accounts.backends.LockoutModelBackend",
    "motcua.accounts.backends.OidcBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
OFFICIAL_LOGIN_REDIRECT_URL = "web:workspace"
LOGOUT_REDIRECT_URL = "web:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("MOTCUA_FAST_PASSWORD_HASHER", False):  # test suites only: scrypt is slow by design
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection
LOGIN_MAX_FAILURES = env_int("MOTCUA_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("MOTCUA_LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_RATE_PER_MINUTE = env_int("MOTCUA_LOGIN_RATE_PER_MINUTE", 20)
OFFICIALS_REQUIRE_2FA = env_bool("MOTCUA_OFFICIALS_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env("MOTCUA_OTP_ISSUER", "Motcua")

# Sessions expire after inactivity and when the browser closes.
SESSION_COOKIE_AGE = env_int("MOTCUA_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("MOTCUA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("MOTCUA_BEHIND_TLS_PROXY") else None
SECURE_HSTS_SECONDS = env_int("MOTCUA_HSTS_SECONDS", 0)

# National identity provider (OpenID Connect, authorisation-code flow), e.g. the national portal's SSO / VNeID.
OIDC_ISSUER = env("MOTCUA_OIDC_ISSUER", "")
OIDC_CLIENT_ID = env("MOTCUA_OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env("MOTCUA_OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = env("MOTCUA_OIDC_SCOPES", "openid profile email")
OIDC_ACR_VALUES = env("MOTCUA_OIDC_ACR_VALUES", "")
OIDC_TIMEOUT_SECONDS = env_int("MOTCUA_OIDC_TIMEOUT_SECONDS", 10)

# Caches (rate limits, lockout counters, OIDC metadata) must be shared by every web process, or each
# gunicorn worker would keep its own counters: a database table in the embedded run (`motcua
# createcachetable`), Redis at scale.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "motcua_cache"}}
if env("MOTCUA_CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("MOTCUA_CACHE_URL")}
    }

# Background tasks: Django's task API (django-tasks backport) on the database queue.
TASKS = {
    "default": {
        "BACKEND": env("MOTCUA_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications", "exchange"],
    }
}

# Internationalisation: Vietnamese by default, English and French complete.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["motcua.config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("MOTCUA_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MOTCUA_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env("MOTCUA_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("MOTCUA_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("MOTCUA_UPLOAD_MEMORY_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MOTCUA_REQUEST_MAX_BYTES", 10_485_760)

EMAIL_BACKEND = env("MOTCUA_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = env("MOTCUA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("MOTCUA_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env("MOTCUA_DEFAULT_FROM_EMAIL", "motcua@localhost")

# Working-day calendar (core.calendar): office hours used for deadlines counted in working hours.
WORKDAY_MORNING = env("MOTCUA_WORKDAY_MORNING", "07:30-11:30")
WORKDAY_AFTERNOON = env("MOTCUA_WORKDAY_AFTERNOON", "13:00-17:00")

# API clients: how long a rotated-out secret keeps working, so integrators can switch without downtime.
API_CLIENT_ROTATION_GRACE_HOURS = env_int("MOTCUA_API_CLIENT_ROTATION_GRACE_HOURS", 24)
API_PAGE_SIZE = env_int("MOTCUA_API_PAGE_SIZE", 50)

# One-stop dossiers: largest uploaded document, and public lookups (code + secret) per minute per address.
DOSSIER_UPLOAD_MAX_BYTES = env_int("MOTCUA_DOSSIER_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DOSSIER_LOOKUP_RATE_PER_MINUTE = env_int("MOTCUA_DOSSIER_LOOKUP_RATE_PER_MINUTE", 10)

# Feedback and recommendations (feedback app); attachments share MOTCUA_DOSSIER_UPLOAD_MAX_BYTES and its file types.
# Submissions per hour from one client address by people without an account.
FEEDBACK_SUBMIT_RATE_PER_HOUR = env_int("MOTCUA_FEEDBACK_SUBMIT_RATE_PER_HOUR", 5)
# Follow-up lookups (code + lookup secret) per minute per client address and per code.
FEEDBACK_LOOKUP_RATE_PER_MINUTE = env_int("MOTCUA_FEEDBACK_LOOKUP_RATE_PER_MINUTE", 10)
# Likes and dislikes per minute from one client address by browsers not signed in.
FEEDBACK_VOTE_RATE_PER_MINUTE = env_int("MOTCUA_FEEDBACK_VOTE_RATE_PER_MINUTE", 20)
# Most files attached to one feedback or one supplement of information.
FEEDBACK_ATTACHMENTS_MAX = env_int("MOTCUA_FEEDBACK_ATTACHMENTS_MAX", 5)

# National Public Service Portal synchronisation (DongBoHoSoMC / CapNhatTienDoHoSoMC).
NATIONAL_PORTAL_CLIENT = env("MOTCUA_NATIONAL_PORTAL_CLIENT", "recording")
NATIONAL_PORTAL_URL = env("MOTCUA_NATIONAL_PORTAL_URL", "")
NATIONAL_PORTAL_TOKEN = env("MOTCUA_NATIONAL_PORTAL_TOKEN", "")
NATIONAL_PORTAL_TIMEOUT_SECONDS = env_int("MOTCUA_NATIONAL_PORTAL_TIMEOUT_SECONDS", 10)
# Payment gateways that are the national payment platform: a dossier paid through one is DuocThanhToanTrucTuyen 1,
# through any other gateway 2 (a local gateway). The "sandbox" gateway speaks the national platform's protocol.
NATIONAL_PORTAL_PAYMENT_GATEWAYS = env_list("MOTCUA_NATIONAL_PORTAL_PAYMENT_GATEWAYS", "sandbox")
# The outbox (dossiers.national_portal.outbox): attempts before giving a record up, back-off between them.
NATIONAL_PORTAL_MAX_ATTEMPTS = env_int("MOTCUA_NATIONAL_PORTAL_MAX_ATTEMPTS", 12)
NATIONAL_PORTAL_RETRY_BASE_SECONDS = env_int("MOTCUA_NATIONAL_PORTAL_RETRY_BASE_SECONDS", 30)
NATIONAL_PORTAL_RETRY_MAX_SECONDS = env_int("MOTCUA_NATIONAL_PORTAL_RETRY_MAX_SECONDS", 3600)

# edXML packages (exchange.edxml, QCVN 102:2016): largest package read or signed, largest decoded attachment,
# most attachments in one package, and where attachments are decoded while a package is read (empty: the
# system's temporary directory).
EDXML_MAX_PACKAGE_BYTES = env_int("MOTCUA_EDXML_MAX_PACKAGE_BYTES", 64 * 1024 * 1024)
EDXML_MAX_ATTACHMENT_BYTES = env_int("MOTCUA_EDXML_MAX_ATTACHMENT_BYTES", 48 * 1024 * 1024)
EDXML_MAX_ATTACHMENTS = env_int("MOTCUA_EDXML_MAX_ATTACHMENTS", 100)
EDXML_TEMP_DIR = env("MOTCUA_EDXML_TEMP_DIR", "")
# Notifications (notifications app).
# E-mails and SMS: attempts before one is given up ("failed"), first back-off, longest back-off (seconds).
NOTIFICATION_MAX_ATTEMPTS = env_int("MOTCUA_NOTIFICATION_MAX_ATTEMPTS", 6)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("MOTCUA_NOTIFICATION_RETRY_BASE_SECONDS", 60)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("MOTCUA_NOTIFICATION_RETRY_MAX_SECONDS", 3600)
# SMTP timeout in seconds: a mail server that hangs must not hold a delivery worker (Django's default: forever).
EMAIL_TIMEOUT = env_int("MOTCUA_EMAIL_TIMEOUT_SECONDS", 30)
# Days notifications and webhook deliveries are kept (those still waiting are kept whatever their age); 0: forever.
NOTIFICATION_RETENTION_DAYS = env_int("MOTCUA_NOTIFICATION_RETENTION_DAYS", 365)
# SMS provider plugin ("file" appends to var/sms/outbox.jsonl; empty turns SMS off), sender name, longest text.
SMS_PROVIDER = env("MOTCUA_SMS_PROVIDER", "file")
SMS_SENDER = env("MOTCUA_SMS_SENDER", "MOTCUA")
SMS_MAX_LENGTH = env_int("MOTCUA_SMS_MAX_LENGTH", 160)
# Webhooks to agency systems: attempts before a delivery is given up, first and longest back-off (seconds).
WEBHOOK_MAX_ATTEMPTS = env_int("MOTCUA_WEBHOOK_MAX_ATTEMPTS", 12)
WEBHOOK_RETRY_BASE_SECONDS = env_int("MOTCUA_WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("MOTCUA_WEBHOOK_RETRY_MAX_SECONDS", 3600)
# HTTP timeout of one attempt (connecting, and waiting for the answer), in seconds.
WEBHOOK_TIMEOUT_SECONDS = env_int("MOTCUA_WEBHOOK_TIMEOUT_SECONDS", 10)
# Allow plain-http target URLs beyond this machine (never in production: the payloads are personal data).
WEBHOOK_ALLOW_HTTP = env_bool("MOTCUA_WEBHOOK_ALLOW_HTTP", False)
# How long a rotated-out webhook secret still signs requests (beside the new one), so receivers can switch.
WEBHOOK_SECRET_GRACE_HOURS = env_int("MOTCUA_WEBHOOK_SECRET_GRACE_HOURS", 24)
# Payments (payments app). Gateways offered to payers, in order (each a registered plugin; "sandbox" speaks the
# national payment platform's protocol to MOTCUA_PAYMENT_SANDBOX_URL).
PAYMENT_GATEWAYS = env_list("MOTCUA_PAYMENT_GATEWAYS", "sandbox")
# The sandbox gateway: where the platform (or the local sandbox, `motcua paysandbox`) answers, Motcua's client id
# there, and the shared secret of the HMAC-SHA256 checksums (default: derived from SECRET_KEY, for the embedded run).
PAYMENT_SANDBOX_URL = env("MOTCUA_PAYMENT_SANDBOX_URL", "http://127.0.0.1:8001").rstrip("/")
PAYMENT_SANDBOX_CLIENT_ID = env("MOTCUA_PAYMENT_SANDBOX_CLIENT_ID", "motcua")
PAYMENT_SANDBOX_SECRET = (
    env("MOTCUA_PAYMENT_SANDBOX_SECRET") or hashlib.sha256(f"motcua.payments.sandbox:{SECRET_KEY}".encode()).hexdigest()
)
# Whether `motcua serve` also starts the local sandbox (when "sandbox" is a gateway and its URL is on this machine).
PAYMENT_SANDBOX_EMBEDDED = env_bool("MOTCUA_PAYMENT_SANDBOX_EMBEDDED", True)
# An unpaid online payment expires after this many minutes (the status job then stops waiting for it).
PAYMENT_TIMEOUT_MINUTES = env_int("MOTCUA_PAYMENT_TIMEOUT_MINUTES", 15)
# Gateway notifications and returns signed further than this from now are refused as stale (replay window).
PAYMENT_CALLBACK_WINDOW_SECONDS = env_int("MOTCUA_PAYMENT_CALLBACK_WINDOW_SECONDS", 300)
# HTTP timeout of calls to gateways.
PAYMENT_HTTP_TIMEOUT_SECONDS = env_int("MOTCUA_PAYMENT_HTTP_TIMEOUT_SECONDS", 10)
# The status job asks the gateway about a payment that has been waiting this long without news.
PAYMENT_STATUS_QUERY_AFTER_SECONDS = env_int("MOTCUA_PAYMENT_STATUS_QUERY_AFTER_SECONDS", 60)
# Automatic and requested refunds are tried this many times before they are marked failed for people to handle.
PAYMENT_REFUND_MAX_ATTEMPTS = env_int("MOTCUA_PAYMENT_REFUND_MAX_ATTEMPTS", 10)
# The prefix of receipt series (ký hiệu biên lai): series "<prefix>/<yy>E", numbers per agency and year.
PAYMENT_RECEIPT_SERIES_PREFIX = env("MOTCUA_PAYMENT_RECEIPT_SERIES_PREFIX", "MC")
# Look-ups of pay links (for payers without an account) per minute per client address.
PAYMENT_LINK_RATE_PER_MINUTE = env_int("MOTCUA_PAYMENT_LINK_RATE_PER_MINUTE", 20)

PLATFORM_NAME = env("MOTCUA_PLATFORM_NAME", "Motcua")

# Document exchange (exchange app, docs/exchange.md): this deployment as a node of the federation.
# Its id and the base URL other nodes reach it at (https in production, behind mutual TLS).
EXCHANGE_NODE_ID = env("MOTCUA_EXCHANGE_NODE_ID", "local")
EXCHANGE_NODE_NAME = env("MOTCUA_EXCHANGE_NODE_NAME", PLATFORM_NAME)
EXCHANGE_NODE_URL = env("MOTCUA_EXCHANGE_NODE_URL", SITE_URL).rstrip("/")
# The node key (PEM, mode 0600) and its certificate chain (PEM) that sign technical receipts, status packages and
# node-to-node requests; `motcua exchange node-init` makes them. An optional passphrase encrypts the key file.
EXCHANGE_NODE_KEY_FILE = Path(env("MOTCUA_EXCHANGE_NODE_KEY_FILE", str(DATA_DIR / "exchange" / "node-key.pem")))
EXCHANGE_NODE_CERTIFICATE_FILE = Path(
    env("MOTCUA_EXCHANGE_NODE_CERTIFICATE_FILE", str(DATA_DIR / "exchange" / "node-certificate.pem"))
)
EXCHANGE_NODE_KEY_PASSPHRASE = env("MOTCUA_EXCHANGE_NODE_KEY_PASSPHRASE", "")
# Organisation codes whose subtrees this node serves (empty: every organisation with a code in its directory).
EXCHANGE_SERVED_ORGANISATIONS = env_list("MOTCUA_EXCHANGE_SERVED_ORGANISATIONS")
# Where the signed node directory is fetched, and the SHA-256 fingerprint of the certificate that must have signed
# it (the directory authority: the national axis or the hub). Both empty: this node is its own authority.
EXCHANGE_DIRECTORY_URL = env("MOTCUA_EXCHANGE_DIRECTORY_URL", "")
EXCHANGE_DIRECTORY_AUTHORITY = env("MOTCUA_EXCHANGE_DIRECTORY_AUTHORITY", "").lower().replace(":", "")
# Largest file an official uploads to a document (a package's own limits are MOTCUA_EDXML_*).
EXCHANGE_ATTACHMENT_MAX_BYTES = env_int("MOTCUA_EXCHANGE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# The outbox: attempts before a message is given up (then an alert), back-off between them, request timeout.
EXCHANGE_MAX_ATTEMPTS = env_int("MOTCUA_EXCHANGE_MAX_ATTEMPTS", 12)
EXCHANGE_RETRY_BASE_SECONDS = env_int("MOTCUA_EXCHANGE_RETRY_BASE_SECONDS", 30)
EXCHANGE_RETRY_MAX_SECONDS = env_int("MOTCUA_EXCHANGE_RETRY_MAX_SECONDS", 3600)
EXCHANGE_TIMEOUT_SECONDS = env_int("MOTCUA_EXCHANGE_TIMEOUT_SECONDS", 30)
# How long a worker holds a message it is sending; a worker that dies mid-send delays the message this long.
EXCHANGE_LEASE_SECONDS = env_int("MOTCUA_EXCHANGE_LEASE_SECONDS", 90)
# Signed node requests older or newer than this are refused (replays inside the window are refused by nonce).
EXCHANGE_CLOCK_SKEW_SECONDS = env_int("MOTCUA_EXCHANGE_CLOCK_SKEW_SECONDS", 300)
# Periodic jobs (run by `motcua scheduler`): outbox sweep, pull from the hub, directory refresh.
EXCHANGE_DELIVER_EVERY_SECONDS = env_int("MOTCUA_EXCHANGE_DELIVER_EVERY_SECONDS", 30)
EXCHANGE_PULL_EVERY_SECONDS = env_int("MOTCUA_EXCHANGE_PULL_EVERY_SECONDS", 30)
EXCHANGE_DIRECTORY_REFRESH_MINUTES = env_int("MOTCUA_EXCHANGE_DIRECTORY_REFRESH_MINUTES", 60)
# HTTPS to other nodes: the CA bundle that authenticates their servers (empty: the system's), and this node's
# client certificate and key for mutual TLS (empty: none).
EXCHANGE_TLS_CA_FILE = env("MOTCUA_EXCHANGE_TLS_CA_FILE", "")
EXCHANGE_TLS_CLIENT_CERTIFICATE = env("MOTCUA_EXCHANGE_TLS_CLIENT_CERTIFICATE", "")
EXCHANGE_TLS_CLIENT_KEY = env("MOTCUA_EXCHANGE_TLS_CLIENT_KEY", "")
# "Due soon" in the officials' lists: incoming documents due within this many working days.
EXCHANGE_DUE_SOON_WORKING_DAYS = env_int("MOTCUA_EXCHANGE_DUE_SOON_WORKING_DAYS", 2)

# Prometheus metrics at /metrics are served only to these client addresses (the scraper), never to the public.
METRICS_ALLOWED_ADDRESSES = env_list("MOTCUA_METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")

LOG_JSON = env_bool("MOTCUA_LOG_JSON", False)
LOG_LEVEL = env("MOTCUA_LOG_LEVEL", "INFO")
# The task worker's own log lines (INFO names every task it runs, the periodic sweeps' included).
TASK_LOG_LEVEL = env("MOTCUA_TASK_LOG_LEVEL", "WARNING").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "motcua.core.logging.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The worker narrates every task it runs at INFO; periodic sweeps would fill the log every few seconds.
        "django_tasks": {"level": TASK_LOG_LEVEL},
        "django_tasks_db": {"level": TASK_LOG_LEVEL},
        # fontTools narrates every font subset (each visible signature stamp) at INFO.
        "fontTools": {"level": "WARNING"},
        # pyHanko warns on every B-LT signature that fetching is off: Motcua gives it the revocation data itself.
        "pyhanko.sign.signers.pdf_signer": {"level": "ERROR"},
    },
}
