"""The web's reset page is throttled like POST /api/v1/auth/password/reset: per client address
and per email, in the shared Redis, with a page that says how long to wait."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_an_hour(settings, redis_server):
    for key in redis_server.scan_iter("*throttle_password-reset*"):
        redis_server.delete(key)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "password-reset": "2/hour",
        },
    }


def reset(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def page_text(response) -> str:
    # Without the per-response CSRF token.
    return re.sub(r'value="[^"]{40,}"', "", response.content.decode())


def test_the_third_request_from_one_address_waits_and_sends_nothing(alice, two_an_hour):
    browser = Client(REMOTE_ADDR="203.0.113.50")

    statuses = [reset(browser, "alice@example.com").status_code for _ in range(2)]
    refused = reset(browser, "alice@example.com")

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Try again in 60 minutes" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_the_refusal_is_the_same_for_an_address_without_an_account(alice, two_an_hour):
    known = Client(REMOTE_ADDR="203.0.113.51")
    unknown = Client(REMOTE_ADDR="203.0.113.52")
    for _ in range(2):
        reset(known, "alice@example.com")
        reset(unknown, "nobody@example.com")

    known_page = reset(known, "alice@example.com")
    unknown_page = reset(unknown, "nobody@example.com")

    assert known_page.status_code == unknown_page.status_code == 429
    assert page_text(known_page).replace("alice", "nobody") == page_text(unknown_page)


def test_one_email_is_throttled_from_any_address(alice, two_an_hour):
    for n in range(2):
        assert reset(Client(REMOTE_ADDR=f"198.51.100.{n}"), "Alice@example.com").status_code == 200

    assert reset(Client(REMOTE_ADDR="198.51.100.9"), "alice@example.com").status_code == 429
    assert reset(Client(REMOTE_ADDR="198.51.100.9"), "bob@example.com").status_code == 200


def test_the_web_page_and_the_api_share_the_address_count(alice, two_an_hour):
    reset(Client(REMOTE_ADDR="203.0.113.53"), "alice@example.com")
    APIClient(REMOTE_ADDR="203.0.113.53").post(
        "/api/v1/auth/password/reset", {"email": "someone@example.com"})

    assert reset(Client(REMOTE_ADDR="203.0.113.53"), "other@example.com").status_code == 429
    api = APIClient(REMOTE_ADDR="203.0.113.53").post(
        "/api/v1/auth/password/reset", {"email": "another@example.com"})
    assert api.status_code == 429


def test_a_signed_in_browser_is_counted_by_its_address_too(alice, two_an_hour):
    browser = Client(REMOTE_ADDR="203.0.113.54")
    browser.force_login(alice)
    reset(browser, "alice@example.com")
    reset(Client(REMOTE_ADDR="203.0.113.54"), "x@example.com")

    assert reset(browser, "y@example.com").status_code == 429
