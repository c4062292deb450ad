"""A password in a monitor's URL never leaves the server: not on its pages, not in the form,
not in live events; the web form keeps the saved one when *** comes back, as the API does."""

import pytest

from monitors.models import Monitor
from tests.factories import MonitorFactory
from uptime import live

pytestmark = pytest.mark.django_db

URL = "redis://:s3cret-pass@cache.example.com:6379/0"


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice, name="Cache", kind="redis", url=URL)


def test_pages_and_live_events_show_the_url_without_its_password(client, alice, monitor):
    client.force_login(alice)
    for path in ("/", f"/monitors/{monitor.pk}/", f"/monitors/{monitor.pk}/edit/",
                 f"/monitors/{monitor.pk}/delete/"):
        html = client.get(path).content.decode()
        assert "s3cret-pass" not in html, path
    assert "redis://:***@cache.example.com:6379/0" in client.get(
        f"/monitors/{monitor.pk}/").content.decode()
    assert live.monitor_state(monitor)["url"] == "redis://:***@cache.example.com:6379/0"


def test_the_edit_form_keeps_the_saved_password_when_the_mask_comes_back(client, alice, monitor):
    client.force_login(alice)
    form = {"name": "Cache 2", "kind": "redis", "url": "redis://:***@cache.example.com:6379/0",
            "method": "GET", "timeout_seconds": 5, "interval_seconds": 60,
            "failure_threshold": 3}

    response = client.post(f"/monitors/{monitor.pk}/edit/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    monitor.refresh_from_db()
    assert (monitor.name, monitor.url) == ("Cache 2", URL)


def test_a_new_monitor_cannot_use_the_mask_as_its_password(client, alice):
    client.force_login(alice)
    response = client.post("/monitors/new/", {
        "name": "Cache", "kind": "redis", "url": "redis://:***@cache.example.com:6379/0",
        "method": "GET", "timeout_seconds": 5, "interval_seconds": 60, "failure_threshold": 3,
    })

    assert response.status_code == 200
    assert "*** stands for a saved one" in response.content.decode()
    assert not Monitor.objects.exists()
