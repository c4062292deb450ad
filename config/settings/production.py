"""Production: PostgreSQL and Redis from the environment, secrets required, no dev defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMBEDDED_REDIS, SECRET_KEY, env_bool, env_int, registration_policy

DEBUG = False
UPTIME_PRODUCTION = True
# Accounts are made by an administrator unless sign-up is opened on purpose.
UPTIME_REGISTRATION = registration_policy("closed")
if SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for production.")
if EMBEDDED_REDIS:
    raise ImproperlyConfigured("Set REDIS_URL in the environment for production.")

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
