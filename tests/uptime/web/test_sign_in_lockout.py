"""The web and admin sign-in pages share the API's lockout (uptime/accounts/lockout.py)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def limits(settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    settings.UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT = 5


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/session/login/"])
def test_repeated_failures_lock_the_account_and_the_page_says_how_long(limits, root, path):
    client = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [client.post(path, {"username": "root", "password": "wrong"}).status_code
                for _ in range(3)]

    locked = client.post(path, {"username": "root", "password": PASSWORD})

    assert statuses == [200, 200, 200]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert b"Try again in 15 minutes" in locked.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_other_users_and_addresses_are_not_locked_out(limits, root, bob, path):
    for _ in range(3):
        Client(REMOTE_ADDR="203.0.113.5").post(path, {"username": "root", "password": "wrong"})

    other_user = Client(REMOTE_ADDR="203.0.113.5").post(
        path, {"username": "bob", "password": PASSWORD})

    assert other_user.status_code == 302


def test_an_address_is_locked_after_failures_on_many_accounts(limits, alice):
    for number in range(5):
        Client(REMOTE_ADDR="203.0.113.6").post(
            "/accounts/login/", {"username": f"nobody{number}", "password": "wrong"})

    here = Client(REMOTE_ADDR="203.0.113.6").post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD})
    elsewhere = Client(REMOTE_ADDR="203.0.113.7").post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert (here.status_code, elsewhere.status_code) == (429, 302)


def test_the_admin_login_still_signs_staff_in(root, client):
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "root", "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_refuses_non_staff(alice, client):
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert b"staff account" in response.content
