"""A monitor checked from several regions: each region's check goes through the same task
path (claim, probe, one transaction) on its own state, and the quorum decides the monitor's
status and incidents. Regions are told apart as in production: each region's checks leave
from its own address (UPTIME_SOURCE_ADDRESS), and the loopback target answers 500 to one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import run_check
from monitors.models import Monitor, RegionState
from monitors.quorum import STALE_INTERVALS
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

ADDRESSES = {"us": "127.0.0.2", "in": "127.0.0.3", "eu": "127.0.0.4"}


@pytest.fixture
def check_from(settings):
    def check(monitor: Monitor, region: str):
        settings.UPTIME_SOURCE_ADDRESS = ADDRESSES[region]
        return run_check(monitor.pk, region=region, scheduled=False)

    return check


@pytest.fixture
def monitor(target):
    monitor = MonitorFactory(url=target.url("/health"), regions=["us", "in", "eu"],
                             failure_threshold=2, interval_seconds=60)
    NotificationChannelFactory(owner=monitor.owner)
    NotificationChannelFactory(owner=monitor.owner)
    return monitor


def round_of_checks(check_from, monitor, regions=("us", "in", "eu"), times=1):
    for _ in range(times):
        for region in regions:
            check_from(monitor, region)
    monitor.refresh_from_db()


def test_each_region_has_its_own_state_and_results(check_from, monitor):
    round_of_checks(check_from, monitor)

    states = {state.region: state for state in monitor.region_states.all()}
    assert {name: state.status for name, state in states.items()} == {
        "us": "up", "in": "up", "eu": "up"}
    assert sorted(monitor.checks.values_list("region", flat=True)) == ["eu", "in", "us"]
    assert monitor.status == Monitor.Status.UP


def test_failing_in_one_region_is_degraded_and_never_an_incident(check_from, monitor, target):
    target.mode_for_peer[ADDRESSES["in"]] = "error"

    round_of_checks(check_from, monitor, times=4)

    assert monitor.status == Monitor.Status.DEGRADED
    assert monitor.region_states.get(region="in").consecutive_failures == 4
    assert not Incident.objects.exists()
    assert not Delivery.objects.exists()


def test_failing_in_a_quorum_of_regions_opens_one_incident_with_their_evidence(
        check_from, monitor, target):
    target.mode_for_peer[ADDRESSES["in"]] = "error"
    target.mode_for_peer[ADDRESSES["us"]] = "error"

    round_of_checks(check_from, monitor, times=3)

    assert monitor.status == Monitor.Status.DOWN
    incident = Incident.objects.get()
    assert incident.cause == ("down from 2 of 3 regions (us: expected 2xx, got 500, "
                              "in: expected 2xx, got 500; eu: up)")
    assert [part["region"] for part in incident.evidence] == ["us", "in"]
    assert all(part["outcome"] == "wrong_status" and part["crossed_threshold_at"]
               for part in incident.evidence)
    # One notification per channel, however many regions failed.
    assert Delivery.objects.filter(event="incident.opened").count() == 2


def test_the_first_region_to_recover_below_the_quorum_resolves_it(check_from, monitor, target):
    target.mode_for_peer[ADDRESSES["in"]] = "error"
    target.mode_for_peer[ADDRESSES["us"]] = "error"
    round_of_checks(check_from, monitor, times=2)
    assert Incident.objects.open().exists()

    del target.mode_for_peer[ADDRESSES["us"]]
    check_from(monitor, "us")

    monitor.refresh_from_db()
    assert not Incident.objects.open().exists()
    assert monitor.status == Monitor.Status.DEGRADED  # still down in "in"
    assert Delivery.objects.filter(event="incident.resolved").count() == 2


def test_a_region_gone_quiet_opens_and_resolves_nothing(check_from, monitor, target):
    target.mode_for_peer[ADDRESSES["in"]] = "error"
    target.mode_for_peer[ADDRESSES["us"]] = "error"
    round_of_checks(check_from, monitor, times=2)
    # The workers of "in" stop: its last result grows older than three intervals.
    RegionState.objects.filter(monitor=monitor, region="in").update(
        last_checked_at=timezone.now() - timedelta(seconds=STALE_INTERVALS * 60 + 5))

    round_of_checks(check_from, monitor, regions=("us", "eu"), times=2)

    assert Incident.objects.open().count() == 1  # "in" may still be down: not resolved
    assert monitor.region_states.get(region="in").is_stale()

    Incident.objects.update(resolved_at=timezone.now())
    round_of_checks(check_from, monitor, regions=("us", "eu"))
    assert Incident.objects.open().count() == 0  # one failing region of the live ones
    assert monitor.status == Monitor.Status.DEGRADED


def test_a_check_for_a_region_the_monitor_no_longer_has_steps_aside(check_from, monitor):
    monitor.regions = ["us", "eu"]
    monitor.save()

    assert check_from(monitor, "in") is None
    assert not RegionState.objects.filter(region="in").exists()


def test_a_region_claims_its_own_lease(check_from, monitor):
    assert monitor.claim_region("us", scheduled=True, task_id="t-1") is not None
    # The same region is busy; another region is not.
    assert monitor.claim_region("us", scheduled=False, task_id="t-2") is None
    assert monitor.claim_region("in", scheduled=True, task_id="t-3") is not None


def test_the_quorum_can_be_set(check_from, target):
    monitor = MonitorFactory(url=target.url("/"), regions=["us", "in", "eu"], quorum=1,
                             failure_threshold=1)
    target.mode_for_peer[ADDRESSES["eu"]] = "error"

    check_from(monitor, "eu")

    assert Incident.objects.open().get().cause == (
        "down from 1 of 3 regions (eu: expected 2xx, got 500)")


def test_the_live_state_and_the_dashboard_show_a_dot_per_region(check_from, monitor, target,
                                                                 client):
    from uptime import live

    target.mode_for_peer[ADDRESSES["in"]] = "error"
    round_of_checks(check_from, monitor, times=2)

    assert live.monitor_state(monitor)["regions"] == [
        {"region": "us", "status": "up"}, {"region": "in", "status": "down"},
        {"region": "eu", "status": "up"}]
    client.force_login(monitor.owner)
    page = client.get("/").content.decode()
    assert '<i class="region-dot" data-status="down" title="in: down">' in page
    assert monitor.checks.first().region in ADDRESSES


def test_a_monitor_none_of_whose_regions_reports_is_unknown_not_up(check_from, monitor):
    from monitors.regions import mark_unheard_monitors_unknown

    round_of_checks(check_from, monitor)
    assert mark_unheard_monitors_unknown() == []  # all reporting: left alone
    long_ago = timezone.now() - timedelta(seconds=STALE_INTERVALS * 60 + 5)
    RegionState.objects.filter(monitor=monitor).update(last_checked_at=long_ago)
    Monitor.objects.filter(pk=monitor.pk).update(last_checked_at=long_ago)

    assert mark_unheard_monitors_unknown() == [monitor.pk]
    assert Monitor.objects.get(pk=monitor.pk).status == Monitor.Status.UNKNOWN
    assert mark_unheard_monitors_unknown() == []  # once

    check_from(monitor, "eu")  # one region back: its word counts again
    assert Monitor.objects.get(pk=monitor.pk).status == Monitor.Status.UP


def test_a_check_without_a_region_of_a_monitor_with_regions_goes_to_each_region(
        monitor, target, redis_server):
    # Queued before the monitor had regions (a check-now, an old schedule): not one check on
    # the default queue deciding alone, but one per region.
    redis_server.delete("checks.us", "checks.in", "checks.eu")

    assert run_check(monitor.pk, scheduled=False) is None

    assert target.requests_seen == []
    assert not monitor.checks.exists()
    assert Monitor.objects.get(pk=monitor.pk).check_lease_until is None
    assert [redis_server.llen(f"checks.{name}") for name in ("us", "in", "eu")] == [1, 1, 1]
    redis_server.delete("checks.us", "checks.in", "checks.eu")


def test_a_region_no_worker_serves_is_allowed_with_a_warning(client, alice, redis_server):
    from monitors import regions

    regions.announce(redis_server, "us", "checks-us@host")
    client.force_login(alice)

    response = client.post("/monitors/new/", {
        "name": "API", "url": "https://api.example.com/", "method": "GET",
        "timeout_seconds": 5, "interval_seconds": 60, "regions": "us, in"}, follow=True)

    monitor = Monitor.objects.get()
    assert monitor.regions == ["us", "in"]
    shown = [str(message) for message in response.context["messages"]]
    assert any(text.startswith("No checks worker serves in yet: its checks wait in checks.in")
               for text in shown), shown
    assert regions.unserved(["us", "in"]) == ["in"]
    redis_server.delete(regions.KEY)


def test_the_incident_shows_each_regions_evidence(check_from, monitor, target, client):
    from rest_framework.test import APIClient

    target.mode_for_peer[ADDRESSES["in"]] = "error"
    target.mode_for_peer[ADDRESSES["us"]] = "error"
    round_of_checks(check_from, monitor, times=2)
    incident = Incident.objects.get()

    api = APIClient()
    api.force_authenticate(monitor.owner)
    body = api.get(f"/api/v1/incidents/{incident.pk}/").json()
    client.force_login(monitor.owner)
    page = client.get("/incidents/").content.decode()

    assert [part["region"] for part in body["evidence"]] == ["us", "in"]
    assert body["cause"].startswith("down from 2 of 3 regions")
    assert '<li data-region="in"><b>in</b>: expected 2xx, got 500 · failing since' in page
    assert '<p class="cause">down from 2 of 3 regions</p>' in page  # the errors once, below
    detail = client.get(f"/monitors/{monitor.pk}/").content.decode()
    assert '<span class="region-tag">in</span>' in detail


def test_degraded_by_regions_says_where(check_from, monitor, target):
    target.mode_for_peer[ADDRESSES["in"]] = "error"

    round_of_checks(check_from, monitor, times=2)

    assert monitor.status_label == "Degraded (down in in; up in us, eu)"
