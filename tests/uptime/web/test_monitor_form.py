"""Creating and editing monitors from the web, with the model's own validation messages."""

import pytest
from django_celery_beat.models import PeriodicTask

from monitors.models import Monitor
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


def valid_data(**overrides) -> dict:
    return {
        "name": "Payments API",
        "url": "https://payments.example.com/health",
        "method": "GET",
        "expected_status_codes": "200, 204",
        "request_headers": "",
        "timeout_seconds": 5,
        "interval_seconds": 60,
        "failure_threshold": 3,
        "regions": "",
        "quorum": "",
        **overrides,
    }


def errors(response) -> dict:
    return response.context["form"].errors


def test_creating_a_monitor_schedules_it_for_its_owner(client, alice):
    client.force_login(alice)

    response = client.post("/monitors/new/", valid_data(request_headers="X-Api-Key: s3cret"))

    monitor = Monitor.objects.get()
    assert response["Location"] == f"/monitors/{monitor.pk}/"
    assert monitor.owner == alice
    assert monitor.expected_status_codes == [200, 204]
    assert monitor.request_headers == {"X-Api-Key": "s3cret"}
    assert PeriodicTask.objects.get(name=f"monitor-check:{monitor.pk}").enabled


@pytest.mark.parametrize("overrides, field, message", [
    ({"url": "ftp://example.com/"}, "url",
     "Only http:// and https:// URLs can be monitored (got ftp:)."),
    ({"timeout_seconds": 60, "interval_seconds": 60}, "timeout_seconds",
     "The timeout must be shorter than the interval."),
    ({"interval_seconds": 1}, "interval_seconds", "Checks may run at most every 10 seconds."),
    ({"expected_status_codes": "200, 700"}, "expected_status_codes",
     "Status codes must be between 100 and 599 (got 700)."),
    ({"expected_status_codes": "ok"}, "expected_status_codes",
     "Give HTTP status codes separated by commas, e.g. 200, 204."),
    ({"request_headers": "X Bad: 1"}, "request_headers",
     "Header 'X Bad' is not a valid HTTP header."),
    ({"name": ""}, "name", "This field is required."),
    ({"regions": "us, us"}, "regions", "Each region may be listed once."),
    ({"regions": "us", "quorum": 2}, "quorum",
     "The quorum can be at most the number of regions (1)."),
])
def test_invalid_input_gets_the_models_message(client, alice, overrides, field, message):
    client.force_login(alice)

    response = client.post("/monitors/new/", valid_data(**overrides))

    assert response.status_code == 200
    assert errors(response)[field] == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Monitor.objects.exists()


def test_the_monitor_quota_applies_as_in_the_api(client, alice, settings):
    settings.UPTIME_MAX_MONITORS_PER_USER = 1
    MonitorFactory(owner=alice)
    client.force_login(alice)

    response = client.post("/monitors/new/", valid_data())

    assert response.status_code == 200
    assert "You have reached the limit of 1 monitors" in errors(response)["__all__"][0]
    assert Monitor.objects.count() == 1


def test_only_the_owners_channels_can_be_chosen(client, alice, charlie):
    own = NotificationChannelFactory(owner=alice)
    foreign = NotificationChannelFactory(owner=charlie)
    client.force_login(alice)

    response = client.post("/monitors/new/", valid_data(channels=[foreign.pk]))
    assert "channels" in errors(response)

    client.post("/monitors/new/", valid_data(channels=[own.pk]))
    assert list(Monitor.objects.get().channels.all()) == [own]


def test_editing_saves_the_changes(client, alice):
    monitor = MonitorFactory(owner=alice)
    client.force_login(alice)

    response = client.post(f"/monitors/{monitor.pk}/edit/", valid_data(interval_seconds=120))

    monitor.refresh_from_db()
    assert response["Location"] == f"/monitors/{monitor.pk}/"
    assert monitor.interval_seconds == 120 and monitor.name == "Payments API"


def test_editing_keeps_check_state_it_does_not_show(client, alice):
    monitor = MonitorFactory(owner=alice, status="down", consecutive_failures=4)
    client.force_login(alice)

    client.post(f"/monitors/{monitor.pk}/edit/", valid_data())

    monitor.refresh_from_db()
    assert monitor.status == "down" and monitor.consecutive_failures == 4


def test_header_values_are_never_shown_and_kept_when_left_empty(client, alice):
    monitor = MonitorFactory(owner=alice, request_headers={"X-Api-Key": "s3cret"})
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/edit/").content.decode()
    client.post(f"/monitors/{monitor.pk}/edit/", valid_data())

    assert "X-Api-Key" in page and "s3cret" not in page
    monitor.refresh_from_db()
    assert monitor.request_headers == {"X-Api-Key": "s3cret"}


def test_headers_can_be_replaced_or_removed(client, alice):
    monitor = MonitorFactory(owner=alice, request_headers={"X-Api-Key": "old"})
    client.force_login(alice)

    client.post(f"/monitors/{monitor.pk}/edit/", valid_data(request_headers="X-Api-Key: new"))
    monitor.refresh_from_db()
    assert monitor.request_headers == {"X-Api-Key": "new"}

    client.post(f"/monitors/{monitor.pk}/edit/", valid_data(clear_request_headers="on"))
    monitor.refresh_from_db()
    assert monitor.request_headers == {}


def test_another_users_monitor_cannot_be_edited(client, alice, charlie):
    monitor = MonitorFactory(owner=alice, name="alice api")
    client.force_login(charlie)

    assert client.get(f"/monitors/{monitor.pk}/edit/").status_code == 404
    assert client.post(f"/monitors/{monitor.pk}/edit/", valid_data()).status_code == 404
    monitor.refresh_from_db()
    assert monitor.name == "alice api"


def test_staff_editing_keeps_the_monitor_with_its_owner(client, alice, bob):
    monitor = MonitorFactory(owner=alice)
    client.force_login(bob)

    client.post(f"/monitors/{monitor.pk}/edit/", valid_data())

    monitor.refresh_from_db()
    assert monitor.owner == alice


def test_regions_are_written_separated_by_commas_and_shown_per_region(client, alice):
    client.force_login(alice)

    client.post("/monitors/new/", valid_data(regions="us, in eu", quorum=2))

    monitor = Monitor.objects.get()
    assert (monitor.regions, monitor.quorum) == (["us", "in", "eu"], 2)
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()
    assert 'data-region="in"' in page
    assert "An incident opens when 2 of 3 are failing." in page
    form = client.get(f"/monitors/{monitor.pk}/edit/").content.decode()
    assert 'value="us, in, eu"' in form
