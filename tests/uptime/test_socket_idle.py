"""An idle /ws/status/ socket stays open: a dashboard tab left alone must not drop and
reconnect, nor print tracebacks in the server's log, on the embedded Redis or a Redis server
(the suite runs once on each; this test uses whichever this run has).

While nothing happens, the consumer's channel-layer read is a BZPOPMIN that Redis holds for
channels-redis's brpop_timeout; a Redis client with a read timeout near that loses the race and
the socket dies. The layer's connections have none (config/settings/base.py), and a closed
socket's receive must still end when it is cancelled.
"""

import asyncio
import logging
import re

import pytest
import redis.asyncio
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# How long past the read timeout the socket stays idle: enough for more than one blocking
# read to come back empty and be issued again.
MARGIN_SECONDS = 3
SERVER_TROUBLE = re.compile(r"Traceback|ERROR|Exception inside application|TimeoutError")


def library_read_timeout() -> float | None:
    """The installed redis-py's default read timeout (5 s in 8.x, none before)."""
    return redis.asyncio.Connection().socket_timeout


def layer_read_timeout() -> float | None:
    """The read timeout of the layer's Redis connections, as the installed redis-py makes them
    from the settings."""
    pool = get_channel_layer().create_pool(0)
    return pool.connection_class(**pool.connection_kwargs).socket_timeout


def test_the_layer_never_times_out_its_blocking_read():
    timeout = layer_read_timeout()

    assert timeout is None or timeout >= 2 * RedisChannelLayer.brpop_timeout


def test_a_cancelled_receive_ends():
    """What a socket that closes does to its consumer's layer read. A read timeout makes
    redis-py send through asyncio.wait_for, which on Python 3.11 can swallow the cancel; the
    receive then loops on BZPOPMIN forever, holding a connection."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]

    async def cancel_many() -> int:
        layer = RedisChannelLayer(**config)
        left_running = 0
        # Cancelled at every point of the first few round trips (connect, script, BZPOPMIN).
        for attempt in range(300):
            receive = asyncio.ensure_future(layer.receive(await layer.new_channel()))
            for _ in range(attempt % 30):
                await asyncio.sleep(0)
            receive.cancel()
            done, _ = await asyncio.wait([receive], timeout=1)
            left_running += not done
        await layer.flush()
        return left_running

    assert asyncio.run(cancel_many()) == 0


def test_an_idle_status_socket_stays_open_and_still_gets_events(
    server, alice, target, caplog
):
    monitor = MonitorFactory(owner=alice, name="Idle API", url=target.url("/health"))
    # Longer than any read timeout in play, and than several empty blocking reads.
    read_timeout = layer_read_timeout()
    idle_seconds = max(library_read_timeout() or 0, read_timeout or 0,
                       2 * RedisChannelLayer.brpop_timeout) + MARGIN_SECONDS
    opened, closed, frames = [], [], []

    def watch(socket) -> None:
        opened.append(socket)
        socket.on("close", lambda _: closed.append(socket))
        socket.on("framereceived", lambda payload: frames.append(payload))

    caplog.set_level(logging.WARNING)
    with chromium() as page:
        page.on("websocket", watch)
        log_in(page, server.url("/"), "alice")
        page.wait_for_function("() => document.documentElement.dataset.live === 'connected'")

        # Idle: no check runs, nothing is published. The browser keeps the socket (and its
        # protocol pings) going while Playwright waits.
        page.wait_for_timeout(idle_seconds * 1000)
        sockets_after_idle = (len(opened), len(closed))
        frames_before = len(frames)
        # Then a check: its event must arrive over the same socket.
        outside_the_browser_loop(run_check, monitor.pk, scheduled=False)
        for _ in range(100):
            if len(frames) > frames_before:
                break
            page.wait_for_timeout(100)
        events_after_idle = len(frames) - frames_before
        sockets_at_end = (len(opened), len(closed))

    log = server.log()
    where = (f"idle {idle_seconds:.0f} s, layer read timeout {read_timeout} s, "
             f"Redis {server.env['REDIS_URL']}\n--- daphne\n{log}")
    assert sockets_after_idle == (1, 0), (
        f"the socket dropped while idle (opened, closed: {sockets_after_idle}); {where}"
    )
    assert events_after_idle, f"no event arrived after the idle time; {where}"
    assert sockets_at_end == (1, 0), f"the socket dropped after the event; {where}"
    assert not SERVER_TROUBLE.search(log), f"the server logged trouble; {where}"
    assert [record.getMessage() for record in caplog.records] == []
