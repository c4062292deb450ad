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
# HSTS: browsers keep to HTTPS for this long once they have seen it. 0 (the default) sends
# nothing, since a site that still answers some names over plain HTTP would lock them out;
# 31536000 (a year) once every name is on HTTPS. check --deploy warns while it is 0.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Redirect plain HTTP to HTTPS in Django, for a proxy that does not do it itself. The health
# check (/healthz) and heartbeat pings stay reachable over plain HTTP inside the network.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping/"]
