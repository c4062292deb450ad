"""Publishing is best effort: no channel layer, or a Redis that refuses or never answers,
costs a check a logged warning and at most PUBLISH_TIMEOUT_SECONDS, never an exception."""

import socket
import time

import pytest

from monitors.checking import run_check
from tests.factories import MonitorFactory
from uptime import live


def layer_at(url: str) -> dict:
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": [url]}}}


@pytest.fixture
def silent_redis():
    """A port that accepts connections and never answers: a Redis that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


@pytest.fixture
def refusing_redis():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # nothing listens there now
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.django_db
def test_without_a_channel_layer_a_check_is_recorded_and_a_warning_logged(
    target, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {}
    monitor = MonitorFactory(url=target.url("/health"))

    with django_capture_on_commit_callbacks(execute=True):
        result = run_check(monitor.pk, scheduled=False)

    assert result.outcome == "ok"
    # The first check flips the monitor from unknown to up: its two events go in one hand-over.
    assert "no channel layer configured; live event check, monitor.up dropped" in caplog.text


@pytest.mark.django_db
def test_a_redis_that_refuses_connections_does_not_fail_the_check(
    target, settings, caplog, refusing_redis, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = layer_at(refusing_redis)
    monitor = MonitorFactory(url=target.url("/health"))

    with django_capture_on_commit_callbacks(execute=True):
        result = run_check(monitor.pk, scheduled=False)

    assert result.outcome == "ok"
    assert "could not publish live event check" in caplog.text


@pytest.mark.django_db
def test_a_redis_that_never_answers_holds_a_publish_for_at_most_the_timeout(
    settings, caplog, silent_redis
):
    settings.CHANNEL_LAYERS = layer_at(silent_redis)
    monitor = MonitorFactory()

    started = time.monotonic()
    live.publish_monitor(monitor, "check")

    assert time.monotonic() - started < live.PUBLISH_TIMEOUT_SECONDS + 1
    assert "could not publish live event check" in caplog.text
