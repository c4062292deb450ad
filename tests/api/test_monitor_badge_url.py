"""The API gives each monitor's public status badge as `badge_url`, read-only."""

import pytest
from django.conf import settings

from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


def test_the_detail_gives_the_status_badge_that_anyone_can_fetch(as_alice, alice, client):
    monitor = MonitorFactory(owner=alice)

    body = as_alice.get(f"/api/v1/monitors/{monitor.pk}/").json()

    assert body["badge_url"] == (
        f"{settings.SITE_URL.rstrip('/')}/badge/{monitor.badge_key}/status.svg")
    badge = client.get(body["badge_url"].removeprefix(settings.SITE_URL.rstrip("/")))
    assert badge.status_code == 200
    assert badge["Content-Type"].startswith("image/svg+xml")


def test_the_list_gives_it_too(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    [row] = as_alice.get("/api/v1/monitors/").json()["results"]

    assert row["badge_url"].endswith(f"/badge/{monitor.badge_key}/status.svg")


def test_it_cannot_be_changed(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    response = as_alice.patch(f"/api/v1/monitors/{monitor.pk}/",
                              {"badge_url": "https://evil.example/x.svg", "name": "renamed"})

    assert response.status_code == 200
    assert response.json()["badge_url"].endswith(f"/badge/{monitor.badge_key}/status.svg")
    monitor.refresh_from_db()
    assert monitor.name == "renamed"


def test_another_users_monitor_and_its_badge_url_stay_hidden(as_charlie, alice):
    monitor = MonitorFactory(owner=alice)

    response = as_charlie.get(f"/api/v1/monitors/{monitor.pk}/")

    assert response.status_code == 404
    assert monitor.badge_key not in response.content.decode()


def test_a_new_badge_key_replaces_every_old_link(as_alice, alice, client):
    monitor = MonitorFactory(owner=alice)
    old_key = monitor.badge_key
    updated_at = monitor.updated_at

    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/badge-key")

    assert response.status_code == 200
    monitor.refresh_from_db()
    assert monitor.badge_key != old_key
    assert response.json()["badge_url"].endswith(f"/badge/{monitor.badge_key}/status.svg")
    assert client.get(f"/badge/{old_key}/status.svg").status_code == 404
    assert client.get(f"/badge/{monitor.badge_key}/uptime-7d.svg").status_code == 200
    # Nothing that is checked changed: the gap detector's clock is not reset.
    assert monitor.updated_at == updated_at


def test_only_the_owner_can_replace_the_badge_key(as_charlie, alice):
    monitor = MonitorFactory(owner=alice)
    old_key = monitor.badge_key

    response = as_charlie.post(f"/api/v1/monitors/{monitor.pk}/badge-key")

    assert response.status_code == 404
    monitor.refresh_from_db()
    assert monitor.badge_key == old_key
