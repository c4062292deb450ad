"""The API login's lockout: per client address and per account, in the shared Redis."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def limits(settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    settings.UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT = 5


def login(email, password, address="203.0.113.1", **headers):
    client = APIClient(REMOTE_ADDR=address)
    return client.post(
        "/api/v1/auth/login", {"email": email, "password": password}, format="json", **headers
    )


def test_an_account_is_locked_after_repeated_failures_even_for_the_right_password(limits, alice):
    statuses = [login("alice@example.com", "wrong").status_code for _ in range(3)]

    refused = login("alice@example.com", PASSWORD)

    assert statuses == [400, 400, 400]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Try again in 15 minutes" in refused.json()["detail"]
    # From another address too: the account's count is the one that locked.
    assert login("alice@example.com", PASSWORD, address="198.51.100.2").status_code == 429


def test_the_lockout_of_one_account_leaves_other_users_alone(limits, alice, charlie):
    for _ in range(3):
        login("alice@example.com", "wrong")

    assert login("charlie@example.com", PASSWORD).status_code == 200


def test_an_address_is_locked_after_failures_on_many_accounts(limits, charlie):
    for number in range(5):
        assert login(f"nobody{number}@example.com", "wrong").status_code == 400

    assert login("charlie@example.com", PASSWORD).status_code == 429
    assert login("charlie@example.com", PASSWORD, address="198.51.100.2").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(limits, settings, charlie):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for number in range(5):
        login(f"nobody{number}@example.com", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.50")

    locked = login("charlie@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.50")
    other = login("charlie@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.51")

    assert (locked.status_code, other.status_code) == (429, 200)


def test_a_success_starts_the_accounts_count_again(limits, alice):
    login("alice@example.com", "wrong")
    login("alice@example.com", "wrong")
    assert login("alice@example.com", PASSWORD).status_code == 200

    assert login("alice@example.com", "wrong").status_code == 400
    assert login("alice@example.com", PASSWORD).status_code == 200


def test_failed_attempts_are_logged(limits, alice, caplog):
    with caplog.at_level("WARNING", logger="uptime.accounts.sign_in"):
        for _ in range(4):
            login("alice@example.com", "wrong")

    messages = [record.getMessage() for record in caplog.records]
    assert any("sign-in failed" in m and "203.0.113.1" in m for m in messages)
    assert any("sign-in locked" in m for m in messages)
    assert any("sign-in refused" in m for m in messages)


def test_the_email_and_the_username_count_as_one_account(limits, client):
    UserFactory(username="dana", email="dana@example.com")
    login("dana@example.com", "wrong")
    login("DANA@example.com", "wrong")
    client.post("/accounts/login/", {"username": "dana", "password": "wrong"},
                REMOTE_ADDR="203.0.113.1")

    assert login("dana@example.com", PASSWORD).status_code == 429
