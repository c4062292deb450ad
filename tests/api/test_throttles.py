"""The scoped throttles, on the real Redis cache that every web process shares."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


def test_logins_from_one_address_are_throttled(rates, alice):
    rates(auth="3/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    credentials = {"email": "alice@example.com", "password": "wrong"}

    statuses = [client.post("/api/v1/auth/login", credentials).status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
    response = client.post("/api/v1/auth/login", credentials)
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()
    other_address = APIClient(REMOTE_ADDR="203.0.113.8")
    assert other_address.post("/api/v1/auth/login", credentials).status_code == 400


def test_a_forwarded_for_header_does_not_reset_the_count(rates, alice):
    rates(auth="1/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.post("/api/v1/auth/register", {})

    response = client.post(
        "/api/v1/auth/register", {}, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )

    assert response.status_code == 429


def test_check_now_is_throttled_per_user(rates, as_alice, as_charlie, alice, charlie):
    rates(check_now="2/minute")
    monitor = MonitorFactory(owner=alice)
    theirs = MonitorFactory(owner=charlie)

    statuses = [
        as_alice.post(f"/api/v1/monitors/{monitor.pk}/check-now").status_code for _ in range(3)
    ]

    assert statuses == [202, 202, 429]
    assert as_charlie.post(f"/api/v1/monitors/{theirs.pk}/check-now").status_code == 202


def test_channel_tests_are_throttled(rates, as_alice, alice, receiver):
    rates(channel_test="1/minute")
    channel = NotificationChannelFactory(owner=alice, config={"url": receiver.url})

    first = as_alice.post(f"/api/v1/channels/{channel.pk}/test")
    second = as_alice.post(f"/api/v1/channels/{channel.pk}/test")

    assert (first.status_code, second.status_code) == (200, 429)
    assert len(receiver.received) == 1


def test_other_endpoints_are_not_throttled(rates, as_alice):
    rates(auth="1/minute", check_now="1/minute", channel_test="1/minute")

    assert {as_alice.get("/api/v1/monitors/").status_code for _ in range(5)} == {200}


def test_the_throttle_history_is_in_redis(rates, redis_server):
    rates(auth="5/minute")

    APIClient(REMOTE_ADDR="203.0.113.10").post("/api/v1/auth/login", {})

    assert cache.get("throttle_auth_203.0.113.10")
    assert list(redis_server.scan_iter("*throttle_auth_203.0.113.10"))
