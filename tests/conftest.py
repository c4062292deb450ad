"""Real parts for the suite: Redis (embedded or REDIS_URL), loopback servers, personas."""

import os
import shutil

import pytest
import redis
from django.conf import settings

from tests.factories import UserFactory
from tests.support.fixtures import *  # noqa: F403  (target servers: target, tls_target, tls_ca)
from tests.support.receiver import WebhookReceiver
from uptime import embedded_redis


def pytest_configure(config) -> None:
    # Runs that were killed leave their folder behind; a folder whose process is gone is stale.
    runs = settings.TEST_RUN_DIR.parent
    for run in runs.glob("*") if runs.exists() else []:
        if run.name.isdigit() and not _process_exists(int(run.name)):
            shutil.rmtree(run, ignore_errors=True)
    settings.TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)


def pytest_unconfigure(config) -> None:
    shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The broker and channel layer the code under test really talks to."""
    process = None
    if settings.EMBEDDED_REDIS and not embedded_redis.is_running(settings.EMBEDDED_REDIS_SOCKET):
        process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
    client = redis.Redis.from_url(settings.REDIS_URL)
    # The test settings point at a Redis (database) of the suite's own; start it empty.
    client.flushdb()
    yield client
    client.close()
    if process is not None:
        embedded_redis.stop(process)


@pytest.fixture
def queue_length(redis_server):
    """How many messages wait in a Celery queue on the real broker."""

    def length(queue: str) -> int:
        return redis_server.llen(queue)

    redis_server.delete("checks", "notifications")
    return length


@pytest.fixture
def fresh_status_pages(redis_server):
    """Forget every cached status page and lookup (uptime/public_pages.py): they outlive a
    test, and the next test's page may get the same id (SQLite reuses rolled-back ids)."""
    for key in redis_server.scan_iter("*status-page*"):
        redis_server.delete(key)


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", is_staff=True)


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttle history lives in the suite's Redis and outlives a test; with rates off, no
    test can be throttled by what an earlier one did. tests/api/test_throttles.py turns them
    on with small rates."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            scope: None for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        },
    }


@pytest.fixture(autouse=True)
def no_sign_in_lockouts(redis_server):
    """Failed sign-ins are counted in the suite's Redis (uptime/accounts/lockout.py) and would
    outlive the test that made them: every test starts with none."""
    for key in redis_server.scan_iter("*sign-in-*"):
        redis_server.delete(key)


@pytest.fixture
def rates(settings, redis_server):
    """Turn the throttles on with small rates, starting from no history."""
    for key in redis_server.scan_iter("*throttle_*"):
        redis_server.delete(key)

    def set_rates(**scopes: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "auth": None, "check-now": None, "channel-test": None,
                **{scope.replace("_", "-"): rate for scope, rate in scopes.items()},
            },
        }

    return set_rates
