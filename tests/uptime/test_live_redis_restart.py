"""Live events across a Redis restart: a worker's first publish after Redis comes back
reaches the dashboards, and a Redis that is down costs one log line per publish."""

import asyncio
import logging

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings as django_settings

from config.settings.base import channel_layers
from tests.factories import MonitorFactory
from tests.support.switchable import PasswordRedis
from uptime import live

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_redis(tmp_path, settings):
    """A redis-server of this test's own, which it may restart, as the channel layer."""
    server = PasswordRedis("restart-me", tmp_path).bring_up()
    settings.CHANNEL_LAYERS = channel_layers(f"redis://:restart-me@127.0.0.1:{server.port}/0")
    yield server
    server.take_down()


def subscribe(group: str) -> tuple[RedisChannelLayer, str]:
    layer = RedisChannelLayer(**django_settings.CHANNEL_LAYERS["default"]["CONFIG"])
    channel = asyncio.run(_subscribe(layer, group))
    return layer, channel


async def _subscribe(layer: RedisChannelLayer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


def received(layer: RedisChannelLayer, channel: str) -> dict:
    async def receive() -> dict:
        async with asyncio.timeout(5):
            return await layer.receive(channel)

    return asyncio.run(receive())


def test_the_first_publish_after_a_redis_restart_is_delivered(private_redis):
    monitor = MonitorFactory()
    live.publish_monitor(monitor, "monitor.updated")  # the worker's connection, now pooled
    private_redis.take_down()
    private_redis.bring_up()
    # A restarted Redis has no groups: a dashboard that reconnects subscribes again.
    layer, channel = subscribe(live.owner_group(monitor.owner_id))

    live.publish_monitor(monitor, "monitor.paused")

    assert received(layer, channel)["event"]["type"] == "monitor.paused"


def test_a_redis_that_is_down_costs_a_publish_one_line_and_no_traceback(
    private_redis, caplog
):
    monitor = MonitorFactory()
    private_redis.take_down()

    with caplog.at_level(logging.WARNING, logger="uptime.live"):
        live.publish_monitor(monitor, "monitor.updated")

    [record] = caplog.records
    assert record.getMessage().startswith("could not publish live event monitor.updated: ")
    assert record.exc_info is None
