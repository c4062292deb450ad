"""Changing and resetting a password through the API."""

import re

import pytest
from django.core import mail
from knox.models import AuthToken
from rest_framework.test import APIClient

from uptime.accounts.models import BrowserSession

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new pass phrase"


def token_client(user):
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_changing_the_password_keeps_this_token_and_signs_out_the_rest(alice, client):
    phone, laptop = token_client(alice), token_client(alice)
    client.force_login(alice)

    response = phone.post("/api/v1/auth/password/change",
                          {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert phone.get("/api/v1/me").status_code == 200
    assert laptop.get("/api/v1/me").status_code == 401
    assert client.get("/").status_code == 302  # the browser session is over
    assert not BrowserSession.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "wrong", "new_password": NEW_PASSWORD}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "123"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
        ({"old_password": PASSWORD, "new_password": NEW_PASSWORD, "x": 1}, "x"),
    ],
)
def test_a_bad_change_is_a_400_naming_the_field(alice, body, field):
    response = token_client(alice).post("/api/v1/auth/password/change", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_wrong_old_passwords_count_toward_the_lockout(alice, settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    client = token_client(alice)
    body = {"old_password": "wrong", "new_password": NEW_PASSWORD}

    statuses = [client.post("/api/v1/auth/password/change", body).status_code for _ in range(2)]
    right = client.post("/api/v1/auth/password/change",
                        {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert statuses == [400, 429]
    assert right.status_code == 429


def reset_link_parts() -> tuple[str, str]:
    (message,) = mail.outbox
    uid, token = re.search(r"/accounts/password/reset/([^/]+)/([^/]+)/", message.body).groups()
    return uid, token


def test_a_reset_mails_a_link_that_works_once_and_signs_out_everywhere(alice):
    phone = token_client(alice)

    response = APIClient().post("/api/v1/auth/password/reset", {"email": "Alice@Example.com"})

    assert response.status_code == 202
    assert mail.outbox[0].to == ["alice@example.com"]
    uid, token = reset_link_parts()
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert APIClient().post("/api/v1/auth/password/reset/confirm", body).status_code == 204
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert phone.get("/api/v1/me").status_code == 401

    again = APIClient().post("/api/v1/auth/password/reset/confirm",
                             {**body, "new_password": "yet another pass phrase"})
    assert again.status_code == 400
    assert "token" in again.json()


def test_a_reset_for_an_unknown_email_answers_the_same_and_mails_nothing(db):
    response = APIClient().post("/api/v1/auth/password/reset", {"email": "nobody@example.com"})

    assert response.status_code == 202
    assert mail.outbox == []


def test_a_reset_with_a_weak_password_or_a_bad_link_is_a_400(alice):
    APIClient().post("/api/v1/auth/password/reset", {"email": "alice@example.com"})
    uid, token = reset_link_parts()

    weak = APIClient().post("/api/v1/auth/password/reset/confirm",
                            {"uid": uid, "token": token, "new_password": "123"})
    bad = APIClient().post("/api/v1/auth/password/reset/confirm",
                           {"uid": "!!", "token": "x", "new_password": NEW_PASSWORD})
    missing = APIClient().post("/api/v1/auth/password/reset", {"email": "not an email"})

    assert weak.status_code == 400 and "new_password" in weak.json()
    assert bad.status_code == 400 and "token" in bad.json()
    assert missing.status_code == 400 and "email" in missing.json()


def test_reset_requests_are_throttled_per_address(alice, settings, redis_server):
    for key in redis_server.scan_iter("*throttle_password-reset*"):
        redis_server.delete(key)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "password-reset": "2/hour",
        },
    }
    client = APIClient(REMOTE_ADDR="203.0.113.40")

    statuses = [
        client.post("/api/v1/auth/password/reset", {"email": "alice@example.com"}).status_code
        for _ in range(3)
    ]

    assert statuses == [202, 202, 429]
    assert len(mail.outbox) == 2


def test_reset_requests_are_throttled_per_email_from_any_address(alice, settings, redis_server):
    for key in redis_server.scan_iter("*throttle_password-reset*"):
        redis_server.delete(key)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "password-reset": "2/hour",
        },
    }

    def reset(address: str, email: str) -> int:
        return APIClient(REMOTE_ADDR=address).post(
            "/api/v1/auth/password/reset", {"email": email}).status_code

    statuses = [reset(f"198.51.100.{n}", "alice@example.com") for n in range(3)]

    assert statuses == [202, 202, 429]
    assert reset("198.51.100.7", "nobody@example.com") == 202
    assert len(mail.outbox) == 2
