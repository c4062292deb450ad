from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def register(email="dana@example.com", password=PASSWORD, **extra):
    return APIClient().post(
        "/api/v1/auth/register", {"email": email, "password": password, **extra}, format="json"
    )


def login(email, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/login", {"email": email, "password": password}, format="json"
    )


def test_registering_creates_a_user_named_by_email_and_a_working_token():
    response = register("Dana@Example.com")

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "dana@example.com"
    user = get_user_model().objects.get(username="dana@example.com")
    assert user.check_password(PASSWORD)
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.get("/api/v1/me").json()["email"] == "dana@example.com"


def test_an_email_registers_only_once_whatever_its_case():
    register("dana@example.com")

    response = register("DANA@example.com")

    assert response.status_code == 400
    assert response.json() == {"email": ["An account with this email already exists."]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "dana@example.com", "password": "123"}, "password"),
        ({"email": "dana@example.com", "password": "dana@example.com"}, "password"),
        ({"email": "dana@example.com"}, "password"),
        ({"email": "a" * 150 + "@example.com", "password": PASSWORD}, "email"),
        ({"email": "dana@example.com", "password": PASSWORD, "is_staff": True}, "is_staff"),
    ],
)
def test_registration_names_the_field_that_is_wrong(payload, field):
    response = APIClient().post("/api/v1/auth/register", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not get_user_model().objects.filter(is_staff=True).exists()


def test_login_returns_a_new_token_per_device_stored_only_as_a_hash(alice):
    phone, laptop = login("alice@example.com").json(), login("alice@example.com").json()

    assert phone["token"] != laptop["token"]
    stored = AuthToken.objects.filter(user=alice)
    assert stored.count() == 2
    for token in (phone["token"], laptop["token"]):
        assert not stored.filter(digest=token).exists()
        assert all(token not in row.digest for row in stored)


def test_login_works_for_an_account_made_in_the_admin_with_another_username():
    UserFactory(username="ops-admin", email="ops@example.com")

    assert login("ops@example.com").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(alice):
    wrong = login("alice@example.com", "not her password")
    unknown = login("nobody@example.com")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {
        "non_field_errors": ["Unable to log in with this email and password."]
    }


def test_logout_revokes_only_the_token_it_was_sent_with(alice):
    phone, laptop = APIClient(), APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {login('alice@example.com').json()['token']}")
    laptop.credentials(HTTP_AUTHORIZATION=f"Token {login('alice@example.com').json()['token']}")

    assert phone.post("/api/v1/auth/logout").status_code == 204

    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200


def test_an_expired_token_no_longer_works(alice):
    token = login("alice@example.com").json()["token"]
    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/me").status_code == 401


def test_tokens_expire_after_the_configured_ttl(alice):
    before = timezone.now()

    login("alice@example.com")

    token = AuthToken.objects.get(user=alice)
    assert before + timedelta(days=29) < token.expiry <= timezone.now() + timedelta(days=30)


def test_me_needs_a_token_or_a_session(alice):
    assert APIClient().get("/api/v1/me").status_code == 401

    session = APIClient()
    session.force_login(alice)
    assert session.get("/api/v1/me").json()["email"] == "alice@example.com"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/monitors/"])
def test_a_token_that_is_not_utf8_is_refused_not_a_crash(path):
    client = APIClient()
    # HTTP headers are bytes; WSGI hands them over as latin-1, so b"\xff" arrives as "ÿ".
    client.credentials(HTTP_AUTHORIZATION="Token \xff\xfe")

    response = client.get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_session_still_needs_csrf_to_write(alice):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(alice)

    response = session.post("/api/v1/monitors/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_browsable_api_works_with_the_session(alice):
    session = APIClient()
    session.force_login(alice)

    response = session.get("/api/v1/monitors/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"Monitor List" in response.content


@pytest.mark.parametrize("header", ["Bearer {token}", "bearer {token}", "Bearer"])
def test_a_bearer_header_is_told_to_send_token_instead(alice, header):
    _, token = AuthToken.objects.create(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(token=token))

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert 'send "Authorization: Token <key>"' in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_the_same_token_sent_as_token_works(alice):
    _, token = AuthToken.objects.create(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/me").status_code == 200
