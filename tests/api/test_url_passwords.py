"""A password in a monitor's URL is write-only: responses show ***, and *** sent back keeps
the saved password (what the postgres and redis kinds need)."""

import pytest

from monitors.models import Monitor
from monitors.urlsecrets import keep_saved_password, mask_password

pytestmark = pytest.mark.django_db

POSTGRES = {
    "name": "Orders DB", "kind": "postgres", "interval_seconds": 60, "timeout_seconds": 5,
    "url": "postgres://app:s3cret%40pw@db.example.com:5432/orders?sslmode=require",
}


def test_responses_mask_the_password_and_the_monitor_keeps_it(as_alice):
    response = as_alice.post("/api/v1/monitors/", POSTGRES, format="json")

    assert response.status_code == 201, response.content
    shown = "postgres://app:***@db.example.com:5432/orders?sslmode=require"
    assert response.json()["url"] == shown
    monitor = Monitor.objects.get()
    assert monitor.url == POSTGRES["url"]
    assert as_alice.get(f"/api/v1/monitors/{monitor.pk}/").json()["url"] == shown
    assert "s3cret" not in as_alice.get("/api/v1/monitors/").content.decode()


def test_sending_the_mask_back_keeps_the_saved_password(as_alice):
    pk = as_alice.post("/api/v1/monitors/", POSTGRES, format="json").json()["id"]

    response = as_alice.patch(
        f"/api/v1/monitors/{pk}/",
        {"url": "postgres://app:***@db2.example.com:5432/orders?sslmode=require"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (Monitor.objects.get().url
            == "postgres://app:s3cret%40pw@db2.example.com:5432/orders?sslmode=require")


def test_a_new_password_replaces_the_saved_one(as_alice):
    pk = as_alice.post("/api/v1/monitors/", POSTGRES, format="json").json()["id"]

    as_alice.patch(f"/api/v1/monitors/{pk}/",
                   {"url": "postgres://app:other@db.example.com/orders"}, format="json")

    assert Monitor.objects.get().url == "postgres://app:other@db.example.com/orders"


def test_the_mask_on_a_new_monitor_is_a_400(as_alice):
    response = as_alice.post(
        "/api/v1/monitors/", {**POSTGRES, "url": "postgres://app:***@db.example.com/orders"},
        format="json",
    )

    assert response.status_code == 400
    assert "send the password itself" in response.json()["url"][0]


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("rediss://user:pw@cache/1", "rediss://user:***@cache/1"),
    ("redis://cache:6379/0", "redis://cache:6379/0"),
    ("postgres://app@db/x", "postgres://app@db/x"),
    ("https://example.com/health", "https://example.com/health"),
])
def test_mask_password(url, shown):
    assert mask_password(url) == shown


def test_keep_saved_password_without_a_saved_one_drops_the_mask():
    assert keep_saved_password("redis://:***@cache/0", "redis://cache/0") == "redis://cache/0"
    assert keep_saved_password("redis://u:***@cache/0", "redis://cache/0") == "redis://u@cache/0"
