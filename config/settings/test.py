"""The test suite: same real parts as local, tuned for speed and for loopback targets."""

from .base import *  # noqa: F403
from .base import DATABASES, EMBEDDED_REDIS, VAR_DIR, channel_layers, embedded_redis_socket

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Every test target is a server on 127.0.0.1; the guard itself is tested with this off.
UPTIME_ALLOW_PRIVATE_TARGETS = True
UPTIME_NOTIFICATION_BACKOFF_SECONDS = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that the end-to-end test's worker and beat processes share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

if EMBEDDED_REDIS:
    # Its own socket, so the suite never touches the Redis of a `make run` in the same checkout.
    EMBEDDED_REDIS_SOCKET = embedded_redis_socket("test-redis.sock")
    REDIS_URL = f"unix://{EMBEDDED_REDIS_SOCKET}"
    CELERY_BROKER_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
    CHANNEL_LAYERS = channel_layers(REDIS_URL)
