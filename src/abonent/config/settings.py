"""Django settings, all driven by environment variables (see README "Configuration")."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from abonent.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(env_str("ABONENT_HOME", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = Path(env_str("ABONENT_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The embedded default key only serves a local demo; production refuses to start without its own.
_DEMO_SECRET_KEY = "insecure-demo-key-set-SECRET_KEY-in-production"  # noqa: S105 - refused in production
SECRET_KEY = env_str("SECRET_KEY", _DEMO_SECRET_KEY)
PRODUCTION = env_bool("ABONENT_PRODUCTION", False)
if PRODUCTION and SECRET_KEY == _DEMO_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when ABONENT_PRODUCTION=1")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "abonent.core",
    "abonent.identity",
    "abonent.customers",
    "abonent.messaging",
    "abonent.hints",
    "abonent.metering",
    "abonent.billing",
    "abonent.integration",
    "abonent.documents",
    "abonent.payments",
    "abonent.portal",
    "abonent.console",
    "abonent.api",
    "abonent.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "abonent.config.urls"
WSGI_APPLICATION = "abonent.config.wsgi.application"
ASGI_APPLICATION = "abonent.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "abonent.core.context_processors.product",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'abonent.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # Parameters bound on the server and statements prepared after a few uses on a connection: a reading
    # submission's statements then skip parse and plan (0.75 → 0.31 ms of server CPU a submission,
    # measured). Django leaves both off because a transaction-mode PgBouncer before 1.21 cannot keep
    # prepared statements; DB_PREPARED_STATEMENTS=0 turns them off behind such a pooler.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "abonent.core.cache.KeptClientRedisCache", "LOCATION": REDIS_URL}}
    # Sessions stay in the database (the sessions list and "sign out everywhere" read them there), and
    # every request reads its session from Redis instead of a database round trip.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Files, not process memory: the web workers, the task worker and the scheduler must share throttle
    # counters and page generations (core.freshness), or one process would never see another's changes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# How long a customer's dashboard may be served from the cache at most; it is re-rendered at once when
# anything it shows changes through the services (core.freshness), so this only bounds admin/SQL edits.
PORTAL_PAGE_CACHE_SECONDS = env_int("PORTAL_PAGE_CACHE_SECONDS", 120)

# --- Background tasks (Django Tasks API) ----------------------------------------------------------
TASK_BACKEND = env_str("TASK_BACKEND", "db")
if TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASK_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASK_BACKEND must be db, rq or immediate, got {TASK_BACKEND!r}")

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["abonent.identity.backends.PhoneOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    # Attachments and print batches; FILE_STORAGE=s3: an S3-compatible store (docs/administrators.md).
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("S3_BUCKET", ""),
                "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
                "region_name": env_str("S3_REGION", "") or None,
                "access_key": env_str("S3_ACCESS_KEY", ""),
                "secret_key": env_str("S3_SECRET_KEY", ""),
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if env_str("FILE_STORAGE", "filesystem") == "s3"
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": VAR_DIR / "media"},
        }
    ),
    "staticfiles": {
        "BACKEND": env_str("STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
MEDIA_URL = "/media/"

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "outbox" / "email"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Абонент <noreply@abonent.local>")

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
HTTPS = env_bool("HTTPS", PRODUCTION)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Messaging channels: which transport serves each channel ------------------------------------
MESSAGING_CHANNELS = {
    "email": "abonent.messaging.channels.email.EmailTransport",
    "sms": env_str("SMS_TRANSPORT", "abonent.messaging.channels.local.LocalSmsTransport"),
    "push": env_str("PUSH_TRANSPORT", "abonent.messaging.channels.local.LocalPushTransport"),
    "voice": env_str("VOICE_TRANSPORT", "abonent.messaging.channels.local.LocalVoiceTransport"),
    "cabinet": "abonent.messaging.channels.local.CabinetTransport",
}

# --- Product --------------------------------------------------------------------------------------
ABONENT_PRODUCT_NAME = env_str("ABONENT_PRODUCT_NAME", "Абонент")
API_TOKEN_PREFIX = "abn_"  # noqa: S105 - a visible prefix, not a secret

# --- Identity: registration, one-time codes, sign-in lockout, sessions -------------------------------
from datetime import timedelta  # noqa: E402 - this section is appended; the import stays with its use

INSTALLED_APPS.append("axes")
MIDDLEWARE += [
    "abonent.identity.middleware.SessionTrackingMiddleware",  # after AuthenticationMiddleware
    "axes.middleware.AxesMiddleware",  # django-axes wants to be last
]
# The lockout check runs before the password check (django-axes); see identity/backends.py.
AUTHENTICATION_BACKENDS = ["abonent.identity.backends.LockoutBackend", *AUTHENTICATION_BACKENDS]

IDENTITY_CODE_TTL_SECONDS = env_int("IDENTITY_CODE_TTL_SECONDS", 300)
IDENTITY_CODE_ATTEMPTS = env_int("IDENTITY_CODE_ATTEMPTS", 5)
IDENTITY_CODE_RESEND_SECONDS = env_int("IDENTITY_CODE_RESEND_SECONDS", 60)
IDENTITY_INVITATION_TTL_DAYS = env_int("IDENTITY_INVITATION_TTL_DAYS", 7)
IDENTITY_SESSION_TOUCH_SECONDS = 300  # how often "last seen" of a session is written
# Rates in django-ratelimit's notation ("5/h", "30/10m"), per IP, per recipient, per account number.
IDENTITY_RATE_LIMITS = {
    "login_ip": env_str("RATE_LOGIN_IP", "30/10m"),
    "code_request_ip": env_str("RATE_CODE_REQUEST_IP", "10/h"),
    "code_request_recipient": env_str("RATE_CODE_REQUEST_RECIPIENT", "5/h"),
    "code_entry_ip": env_str("RATE_CODE_ENTRY_IP", "30/10m"),
    "registration_ip": env_str("RATE_REGISTRATION_IP", "20/h"),
    "registration_account": env_str("RATE_REGISTRATION_ACCOUNT", "10/h"),
    "invitation_ip": env_str("RATE_INVITATION_IP", "20/h"),
}
# Checks "the last payment amount" for registration without the bill code; the payments app plugs in here.
IDENTITY_PAYMENT_VERIFIER = env_str(
    "IDENTITY_PAYMENT_VERIFIER", "abonent.payments.verifiers.LastPaymentVerifier"
)

# django-axes: 5 wrong passwords for one login (any spelling of the phone) lock it for 15 minutes;
# a sign-in by one-time code stays open, so a locked-out customer is never stuck.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "abonent.identity.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "abonent.portal.views.auth.locked_out"
AXES_VERBOSE = False
# Per-IP counting of sign-ins is django-ratelimit's ("login_ip" above): an axes lockout by IP would shut out
# everyone behind one mobile carrier's NAT for 15 minutes.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# SMS.ru (used when SMS_TRANSPORT=abonent.messaging.channels.smsru.SmsRuTransport)
SMSRU_API_ID = env_str("SMSRU_API_ID", "")
SMSRU_API_URL = env_str("SMSRU_API_URL", "https://sms.ru/sms/send")
SMSRU_SENDER = env_str("SMSRU_SENDER", "")
SMSRU_TEST = env_bool("SMSRU_TEST", False)
SMSRU_TIMEOUT_SECONDS = env_int("SMSRU_TIMEOUT_SECONDS", 10)

# --- Metering ------------------------------------------------------------------------------------
# A reading is accepted but flagged for review when the monthly consumption since the previous reading
# exceeds FACTOR × the average of the previous months (judged only with at least MIN_MONTHS of history).
METERING_OUTLIER_FACTOR = env_str("METERING_OUTLIER_FACTOR", "3")
METERING_OUTLIER_MIN_MONTHS = env_int("METERING_OUTLIER_MIN_MONTHS", 3)
# A value below the previous one is a register rollover when new + 10^digits − old is at most this
# share of the meter's range (0.1: a 5-digit meter may roll over by up to 10,000 units).
METERING_ROLLOVER_MAX_SHARE = env_str("METERING_ROLLOVER_MAX_SHARE", "0.1")
# Clock skew tolerated before a reading counts as dated in the future.
METERING_FUTURE_TOLERANCE_SECONDS = env_int("METERING_FUTURE_TOLERANCE_SECONDS", 300)
# The voice robot (IVR) webhook, POST /api/v1/metering/ivr, is authenticated by this shared secret in
# the X-IVR-Secret header; empty disables the webhook. Wrong PINs lock the account's PIN for a while.
METERING_IVR_SECRET = env_str("METERING_IVR_SECRET", "")
METERING_IVR_MAX_ATTEMPTS = env_int("METERING_IVR_MAX_ATTEMPTS", 5)
METERING_IVR_LOCK_MINUTES = env_int("METERING_IVR_LOCK_MINUTES", 30)

# --- Payments ------------------------------------------------------------------------------------
# Gateways by name; PAYMENT_GATEWAY is the one new payments go to (see docs/administrators.md).
PAYMENT_GATEWAYS = {
    "sandbox": "abonent.payments.gateways.sandbox.SandboxGateway",
    "yookassa": "abonent.payments.gateways.yookassa.YooKassaGateway",
}
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "sandbox")
# The public origin of this site, for gateway callbacks made outside a request (autopay charges).
PAYMENTS_SITE_URL = env_str("PAYMENTS_SITE_URL", "http://127.0.0.1:8000")
PAYMENTS_MAX_AMOUNT = env_str("PAYMENTS_MAX_AMOUNT", "1000000.00")
# A signed notification older (or newer) than this is a replay and is rejected.
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env_int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300)
PAYMENTS_LINK_TTL_DAYS = env_int("PAYMENTS_LINK_TTL_DAYS", 14)
# The sandbox gateway: its HMAC secret and how its notifications misbehave (late, repeated, out of order).
PAYMENTS_SANDBOX = {
    "secret": env_str("PAYMENTS_SANDBOX_SECRET", "sandbox-webhook-secret-for-the-demo"),
    "delay_seconds": env_str("PAYMENTS_SANDBOX_DELAY_SECONDS", "2"),
    "copies": env_int("PAYMENTS_SANDBOX_COPIES", 2),
    "out_of_order": env_bool("PAYMENTS_SANDBOX_OUT_OF_ORDER", True),
    "timeout_seconds": env_str("PAYMENTS_SANDBOX_TIMEOUT_SECONDS", "20"),
}
# YooKassa (PAYMENT_GATEWAY=yookassa): shop id and secret key from its dashboard; notifications are
# accepted only from its published networks (YOOKASSA_TRUSTED_NETWORKS overrides them, e.g. for tests).
YOOKASSA_SHOP_ID = env_str("YOOKASSA_SHOP_ID", "")
YOOKASSA_SECRET_KEY = env_str("YOOKASSA_SECRET_KEY", "")
YOOKASSA_API_URL = env_str("YOOKASSA_API_URL", "https://api.yookassa.ru/v3")
YOOKASSA_TRUSTED_NETWORKS = env_list("YOOKASSA_TRUSTED_NETWORKS", [])
# The gateways whose payments the daily reconciliation checks.
PAYMENTS_RECONCILED_GATEWAYS = env_list("PAYMENTS_RECONCILED_GATEWAYS", ["sandbox"])

# --- Integration ---------------------------------------------------------------------------------
# Watched folders of import profiles must lie under one of these (an admin must not point a profile at
# the application's own files); a file in them is taken once it has not changed for the settle time.
INTEGRATION_WATCH_ROOTS = env_list("INTEGRATION_WATCH_ROOTS", [str(VAR_DIR / "inbox")])
INTEGRATION_FOLDER_SETTLE_SECONDS = env_int("INTEGRATION_FOLDER_SETTLE_SECONDS", 60)
# The files of a documents manifest (an uploaded ZIP unpacked, or a link to the command line's folder) are
# kept this many days after their run finished, for fixing its quarantined rows; then pruned daily.
INTEGRATION_BUNDLE_RETENTION_DAYS = env_int("INTEGRATION_BUNDLE_RETENTION_DAYS", 30)

# --- Documents -----------------------------------------------------------------------------------
# Typst finds fonts only here (Cyrillic: DejaVu of Debian's fonts-dejavu-core): renders match everywhere.
DOCUMENT_FONT_DIRS = env_list(
    "DOCUMENT_FONT_DIRS",
    [str(PACKAGE_DIR / "documents" / "fonts"), "/usr/share/fonts/truetype/dejavu"],
)
DOCUMENT_UPLOAD_MAX_BYTES = env_int("DOCUMENT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
