"""The test suite: same real parts as local, tuned for speed and for loopback targets."""

import os
from pathlib import Path

from config.env import env_int

from .base import *  # noqa: F403
from .base import DATABASES, EMBEDDED_REDIS, STATIC_ROOT, VAR_DIR, channel_layers

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Every test target is a server on 127.0.0.1; the guard itself is tested with this off.
UPTIME_ALLOW_PRIVATE_TARGETS = True
# No waiting between delivery attempts, unless a test's worker is told otherwise (the fault
# suite's notification outage retries on the real schedule).
UPTIME_NOTIFICATION_BACKOFF_SECONDS = env_int("UPTIME_NOTIFICATION_BACKOFF_SECONDS", 0, minimum=0)
# The API's sign-up tests register accounts; tests of the closed policy override this.
UPTIME_REGISTRATION = "open"

# Each run gets its own database file and Redis socket, so two runs in one checkout (or a
# `make run` beside them) never share state. tests/conftest.py removes it afterwards.
TEST_RUN_DIR = VAR_DIR / "test-runs" / str(os.getpid())

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that the end-to-end test's worker and beat processes share it.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "test.sqlite3")}

if EMBEDDED_REDIS:
    EMBEDDED_REDIS_SOCKET = TEST_RUN_DIR / "redis.sock"
    REDIS_URL = f"unix://{EMBEDDED_REDIS_SOCKET}"
    CELERY_BROKER_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
    CHANNEL_LAYERS = channel_layers(REDIS_URL)

# WhiteNoise warns about a missing STATIC_ROOT; in dev and tests it serves from the apps.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
