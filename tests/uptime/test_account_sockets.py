"""A password change closes the sockets of every other sign-in, and a deleted account's
sockets all close: what they were allowed to see, they no longer may."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from tests.uptime.conftest import api_token, browser_headers, status_socket

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

PASSWORD = "correct horse battery staple"


async def closed_with(socket) -> int | None:
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output.get("code")


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


async def test_a_password_change_closes_the_other_sign_ins_sockets_only(alice):
    phone, laptop = await api_token(alice), await api_token(alice)

    async with (
        status_socket(headers=[(b"authorization", f"Token {phone}".encode())]) as phones,
        status_socket(headers=[(b"authorization", f"Token {laptop}".encode())]) as laptops,
        status_socket(headers=await browser_headers(alice)) as browsers,
    ):
        for socket in (phones, laptops, browsers):
            await socket.receive_json_from()

        response = await sync_to_async(with_token(phone).post)(
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": "a brand new pass phrase"},
        )
        assert response.status_code == 204

        assert await closed_with(laptops) == 4001
        assert await closed_with(browsers) == 4001
        assert await phones.receive_nothing(timeout=0.5)


async def test_deleting_the_account_closes_all_its_sockets(alice):
    phone = await api_token(alice)

    async with (
        status_socket(headers=[(b"authorization", f"Token {phone}".encode())]) as phones,
        status_socket(headers=await browser_headers(alice)) as browsers,
    ):
        await phones.receive_json_from()
        await browsers.receive_json_from()

        response = await sync_to_async(with_token(phone).delete)(
            "/api/v1/me", {"password": PASSWORD}, format="json"
        )
        assert response.status_code == 204

        assert await closed_with(phones) == 4001
        assert await closed_with(browsers) == 4001
