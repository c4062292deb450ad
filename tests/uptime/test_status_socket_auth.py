"""Who may open /ws/status/: a browser with its session on a page of this site, an app with
its API token (header or subprotocol, with or without Origin); nobody else."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from knox.models import get_token_model
from rest_framework.test import APIClient

from tests.uptime.conftest import (
    SITE_ORIGIN,
    api_token,
    browser_headers,
    communicator,
    refused,
    session_cookie,
    status_socket,
    token_headers,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]


async def test_a_browser_connects_with_its_session(alice):
    async with status_socket(headers=await browser_headers(alice)) as socket:
        assert (await socket.receive_json_from())["type"] == "snapshot"


async def test_an_app_connects_with_its_token_in_the_authorization_header(alice):
    async with status_socket(headers=await token_headers(alice)) as socket:
        assert (await socket.receive_json_from())["type"] == "snapshot"


async def test_an_app_connects_with_its_token_as_a_subprotocol(alice):
    socket = communicator(subprotocols=["token", await api_token(alice)])
    connected, subprotocol = await socket.connect(timeout=5)
    # The server names the scheme it accepted, never echoes the token back.
    assert connected and subprotocol == "token"
    assert (await socket.receive_json_from())["type"] == "snapshot"
    await socket.disconnect()


async def test_an_anonymous_browser_is_refused(db):
    assert await refused(headers=[(b"origin", SITE_ORIGIN)])


async def test_a_wrong_token_is_refused_even_alongside_a_valid_session(alice):
    headers = await browser_headers(alice) + [(b"authorization", b"Token 0123456789abcdef")]
    assert await refused(headers=headers)


async def test_a_revoked_token_is_refused(alice):
    headers = await token_headers(alice)
    await get_token_model().objects.filter(user=alice).adelete()
    assert await refused(headers=headers)


async def test_a_page_on_another_site_is_refused_even_with_a_session(alice):
    assert await refused(headers=await browser_headers(alice, origin=b"https://evil.example"))


async def test_a_session_without_an_origin_is_refused(alice):
    # Only a token may skip the Origin check: a cookie alone says nothing about the page.
    assert await refused(headers=[(b"cookie", await session_cookie(alice))])


async def test_a_token_does_not_excuse_a_foreign_origin(alice):
    headers = await token_headers(alice) + [(b"origin", b"https://evil.example")]
    assert await refused(headers=headers)


async def closed_with(socket) -> int | None:
    """The close code the server sent, skipping any event before it."""
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_logging_out_a_device_closes_its_sockets_but_not_the_others(alice):
    phone, laptop = await api_token(alice), await api_token(alice)

    def log_out(token: str) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post("/api/v1/auth/logout").status_code

    async with (
        status_socket(headers=[(b"authorization", f"Token {phone}".encode())]) as phones,
        status_socket(headers=[(b"authorization", f"Token {laptop}".encode())]) as laptops,
    ):
        await phones.receive_json_from()
        await laptops.receive_json_from()

        assert await sync_to_async(log_out)(phone) == 204

        assert await closed_with(phones) == 4001
        assert await laptops.receive_nothing(timeout=0.5)


async def test_logging_out_of_the_web_closes_that_browsers_sockets(alice):
    browser = Client()
    await sync_to_async(browser.force_login)(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    async with status_socket(
        headers=[(b"origin", SITE_ORIGIN), (b"cookie", cookie.encode())]
    ) as socket:
        await socket.receive_json_from()

        response = await sync_to_async(browser.post)("/accounts/logout/")
        assert response.status_code == 302

        assert await closed_with(socket) == 4001


async def test_staff_without_the_required_second_factor_are_refused(bob, settings):
    # bob is staff; a session he signed in with before the setting was turned on.
    headers = await browser_headers(bob)
    settings.UPTIME_STAFF_REQUIRE_2FA = True

    assert await refused(headers=headers)
    assert await refused(headers=await token_headers(bob))
