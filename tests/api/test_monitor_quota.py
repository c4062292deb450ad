import pytest

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

NEW_MONITOR = {"name": "One more", "url": "https://example.com/"}


def test_a_user_may_own_up_to_the_quota(as_alice, alice, charlie, settings):
    settings.UPTIME_MAX_MONITORS_PER_USER = 2
    MonitorFactory(owner=alice)
    MonitorFactory.create_batch(2, owner=charlie)

    assert as_alice.post("/api/v1/monitors/", NEW_MONITOR).status_code == 201

    response = as_alice.post("/api/v1/monitors/", NEW_MONITOR)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "You have reached the limit of 2 monitors: delete one to add another."
        ]
    }
    assert Monitor.objects.filter(owner=alice).count() == 2


def test_deleting_a_monitor_frees_a_place(as_alice, alice, settings):
    settings.UPTIME_MAX_MONITORS_PER_USER = 1
    monitor = MonitorFactory(owner=alice)

    as_alice.delete(f"/api/v1/monitors/{monitor.pk}/")

    assert as_alice.post("/api/v1/monitors/", NEW_MONITOR).status_code == 201


def test_editing_at_the_quota_is_allowed(as_alice, alice, settings):
    settings.UPTIME_MAX_MONITORS_PER_USER = 1
    monitor = MonitorFactory(owner=alice)

    response = as_alice.patch(f"/api/v1/monitors/{monitor.pk}/", {"name": "Renamed"})

    assert response.status_code == 200
