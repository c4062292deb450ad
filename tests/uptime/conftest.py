"""Websocket clients for the live-status tests: the real ASGI application (origin check,
session and token auth, routing) over the real channels-redis layer on the test Redis.

The helpers that touch the database are coroutines: the tests run in an event loop, where
Django refuses synchronous queries.
"""

from contextlib import asynccontextmanager

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from knox.models import get_token_model

from config.asgi import application
from tests.support.webserver import WebServer, child_env, collect_static

SITE_ORIGIN = b"http://127.0.0.1:8000"


@database_sync_to_async
def session_cookie(user) -> bytes:
    """The Cookie header of a browser that logged in as `user`."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@database_sync_to_async
def api_token(user) -> str:
    _, token = get_token_model().objects.create(user=user, expiry=None)
    return token


async def browser_headers(user, *, origin: bytes = SITE_ORIGIN) -> list[tuple[bytes, bytes]]:
    """What a page of this site sends when its browser is logged in as `user`."""
    return [(b"origin", origin), (b"cookie", await session_cookie(user))]


async def token_headers(user) -> list[tuple[bytes, bytes]]:
    """What the mobile app sends: its token, and no Origin."""
    return [(b"authorization", f"Token {await api_token(user)}".encode())]


def communicator(*, headers=(), subprotocols=None) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/status/", headers=list(headers), subprotocols=subprotocols
    )


@asynccontextmanager
async def status_socket(*, headers=(), subprotocols=None):
    """An open /ws/status/ connection, its snapshot not yet read."""
    socket = communicator(headers=headers, subprotocols=subprotocols)
    connected, _ = await socket.connect(timeout=5)
    assert connected, "the server refused the websocket"
    try:
        yield socket
    finally:
        await socket.disconnect()


async def refused(*, headers=(), subprotocols=None) -> bool:
    socket = communicator(headers=headers, subprotocols=subprotocols)
    connected, _ = await socket.connect(timeout=5)
    if connected:
        await socket.disconnect()
    return not connected


async def next_event(socket, event_type: str, *, timeout: float = 5) -> dict:
    """The next event of `event_type`, skipping any other kind before it; the events of a
    batch count one by one."""
    while True:
        event = await next_message(socket, timeout=timeout)
        if event["type"] == event_type:
            return event


async def next_message(socket, *, timeout: float = 5) -> dict:
    """The next message, or the next event of a batch that arrived."""
    pending = socket.__dict__.setdefault("batched_events", [])
    if not pending:
        message = await socket.receive_json_from(timeout=timeout)
        if message["type"] != "batch":
            return message
        pending.extend(message["events"])
    return pending.pop(0)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root


@pytest.fixture
def server(static_root, tmp_path):
    """daphne serving the project, on this run's database and Redis (browser tests)."""
    server = WebServer(env=child_env(STATIC_ROOT=str(static_root)),
                       log_path=tmp_path / "daphne.log").start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def close_worker_thread_connections():
    """asgiref runs the sync code of these async tests and consumers in one long-lived worker
    thread, whose database connection outlives the test (CONN_MAX_AGE); close it, or
    PostgreSQL refuses to drop the test database at the end of the run."""
    yield
    await database_sync_to_async(connections.close_all)()
