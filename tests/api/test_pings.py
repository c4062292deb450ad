"""The ping URLs a heartbeat's job calls, and the API's list of a monitor's pings."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import record_result
from monitors.kinds import executor_for
from monitors.models import CheckResult, Monitor, Ping
from monitors.outcomes import Outcome
from notifications import delivery
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat(alice):
    return MonitorFactory(owner=alice, name="Nightly backup", kind=Monitor.Kind.HEARTBEAT,
                          url="", interval_seconds=3600, grace_seconds=300,
                          failure_threshold=1)


@pytest.fixture
def client():
    # No session, no token, no CSRF cookie: what curl in a crontab sends.
    return Client(enforce_csrf_checks=True)


def path(monitor: Monitor, action: str = "") -> str:
    return f"/ping/{monitor.ping_token}" + (f"/{action}" if action else "")


def overdue(monitor: Monitor) -> None:
    Monitor.objects.filter(pk=monitor.pk).update(
        expecting_pings_since=timezone.now() - timedelta(hours=2)
    )


# --- success -------------------------------------------------------------------------------

def test_a_get_records_a_success(client, heartbeat):
    response = client.get(path(heartbeat), HTTP_USER_AGENT="curl/8.5.0")

    assert (response.status_code, response.content) == (200, b"OK\n")
    assert response["Content-Type"].startswith("text/plain")
    ping = Ping.objects.get()
    assert (ping.kind, ping.method, ping.remote_addr, ping.user_agent, ping.exit_status) == (
        "success", "GET", "127.0.0.1", "curl/8.5.0", None
    )
    check = CheckResult.objects.get()
    assert (check.outcome, check.response_ms, check.error) == (Outcome.OK, None, "")
    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.UP
    assert heartbeat.last_ping_at == ping.received_at == check.checked_at


def test_the_ping_url_in_the_api_is_the_one_that_works(client, heartbeat):
    assert heartbeat.ping_url == (
        f"{settings.SITE_URL.rstrip('/')}/ping/{heartbeat.ping_token}"
    )
    assert client.get(heartbeat.ping_url.removeprefix(settings.SITE_URL.rstrip("/"))
                      ).status_code == 200


@pytest.mark.parametrize("suffix", ["/", "/0", "/0/"])
def test_a_final_slash_or_exit_code_0_is_a_success_too(client, heartbeat, suffix):
    assert client.get(path(heartbeat) + suffix).status_code == 200
    assert Ping.objects.get().kind == Ping.Kind.SUCCESS
    assert CheckResult.objects.get().outcome == Outcome.OK


def test_head_records_a_success(client, heartbeat):
    response = client.head(path(heartbeat))

    assert response.status_code == 200
    assert Ping.objects.get().method == "HEAD"
    assert CheckResult.objects.get().outcome == Outcome.OK


def test_a_post_keeps_its_body_up_to_10_kb(client, heartbeat):
    body = b"backed up 42 files\n" + b"x" * (20 * 1024)

    response = client.post(path(heartbeat), body, content_type="text/plain",
                           HTTP_USER_AGENT="u" * 500)

    assert response.status_code == 200
    ping = Ping.objects.get()
    assert ping.method == "POST"
    assert ping.body.encode() == body[:Ping.MAX_BODY_BYTES]
    assert len(ping.user_agent) == 200


def test_a_body_that_is_not_utf8_is_kept_with_replacements(client, heartbeat):
    client.post(path(heartbeat), b"caf\xe9 ok", content_type="application/octet-stream")

    assert Ping.objects.get().body == "caf\ufffd ok"


def test_start_then_success_records_the_run_time(client, heartbeat):
    assert client.get(path(heartbeat, "start")).status_code == 200
    assert not CheckResult.objects.exists(), "a start is no result"
    heartbeat.refresh_from_db()
    assert heartbeat.last_start_at is not None
    Monitor.objects.filter(pk=heartbeat.pk).update(
        last_start_at=heartbeat.last_start_at - timedelta(seconds=5)
    )

    client.get(path(heartbeat))

    check = CheckResult.objects.get()
    assert check.outcome == Outcome.OK
    assert 5000 <= check.response_ms < 6000
    heartbeat.refresh_from_db()
    assert heartbeat.last_start_at is None, "the run is over"
    assert [ping.kind for ping in Ping.objects.order_by("id")] == ["start", "success"]


def test_a_success_without_a_start_has_no_run_time(client, heartbeat):
    client.get(path(heartbeat))
    client.get(path(heartbeat))

    assert list(CheckResult.objects.values_list("response_ms", flat=True)) == [None, None]


# --- failure ------------------------------------------------------------------------------

def test_fail_opens_an_incident_at_once_and_notifies(client, heartbeat, receiver):
    channel = NotificationChannelFactory(owner=heartbeat.owner, config={"url": receiver.url})

    response = client.post(path(heartbeat, "fail"), b"pg_dump: connection refused\nmore",
                           content_type="text/plain")

    assert response.status_code == 200
    check = CheckResult.objects.get()
    assert check.outcome == Outcome.HEARTBEAT_FAILED
    assert check.error == "the job reported a failure (/fail): pg_dump: connection refused"
    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.DOWN
    incident = Incident.objects.get(monitor=heartbeat)
    assert incident.is_open and incident.cause == check.error
    opened = Delivery.objects.get()
    assert (opened.channel, opened.event) == (channel, "incident.opened")

    assert delivery.attempt(opened.pk) is None
    [payload] = receiver.received
    assert payload["incident"]["cause"] == check.error


def test_a_success_resolves_the_incident_at_once(client, heartbeat):
    NotificationChannelFactory(owner=heartbeat.owner)
    client.get(path(heartbeat, "fail"))

    client.get(path(heartbeat))

    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.UP
    assert not Incident.objects.get(monitor=heartbeat).is_open
    assert list(Delivery.objects.order_by("id").values_list("event", flat=True)) == [
        "incident.opened", "incident.resolved"
    ]


def test_a_non_zero_exit_code_is_a_failure_with_its_code(client, heartbeat):
    response = client.post(path(heartbeat, "3"), b"\n  disk full  \n", content_type="text/plain")

    assert response.status_code == 200
    ping = Ping.objects.get()
    assert (ping.kind, ping.exit_status) == ("fail", 3)
    assert CheckResult.objects.get().error == "the job exited with code 3: disk full"


def test_exit_code_0_is_kept_with_the_success(client, heartbeat):
    client.get(path(heartbeat, "0"))

    assert Ping.objects.values_list("kind", "exit_status").get() == ("success", 0)


@pytest.mark.parametrize("code", ["256", "-1", "99999999999999999999"])
def test_an_exit_code_out_of_range_is_a_400_saying_so(client, heartbeat, code):
    response = client.get(path(heartbeat, code))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "between 0 and 255" in response.content.decode()
    assert not Ping.objects.exists()


def test_a_failure_ends_the_run_in_progress(client, heartbeat):
    client.get(path(heartbeat, "start"))
    client.get(path(heartbeat, "fail"))

    heartbeat.refresh_from_db()
    assert heartbeat.last_start_at is None
    assert CheckResult.objects.get().response_ms is None


# --- what is not a ping ------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"/ping/{uuid.uuid4()}", f"/ping/{uuid.uuid4()}/fail", "/ping/not-a-uuid", "/ping/",
])
def test_an_unknown_ping_url_is_a_plain_404(client, heartbeat, url):
    response = client.get(url)

    assert (response.status_code, response.content) == (404, b"not found\n")
    assert not Ping.objects.exists()


@pytest.mark.parametrize("action", ["stop", "start/now", "fail/3"])
def test_an_unknown_action_is_a_404(client, heartbeat, action):
    assert client.get(path(heartbeat, action)).status_code == 404
    assert not Ping.objects.exists()


def test_another_kinds_token_is_not_a_ping_url(client, alice):
    http = MonitorFactory(owner=alice)

    assert client.get(f"/ping/{http.ping_token}").status_code == 404
    assert not Ping.objects.exists() and not CheckResult.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_other_methods_are_refused(client, heartbeat, method):
    response = getattr(client, method)(path(heartbeat))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert not Ping.objects.exists()


def test_a_paused_monitor_keeps_the_ping_but_records_nothing(client, heartbeat):
    heartbeat.pause()

    failed = client.get(path(heartbeat, "fail"))
    succeeded = client.get(path(heartbeat))

    assert (failed.status_code, succeeded.status_code) == (200, 200)
    assert "paused" in failed.content.decode()
    assert list(Ping.objects.order_by("id").values_list("kind", flat=True)) == [
        "fail", "success"
    ]
    assert not CheckResult.objects.exists()
    assert not Incident.objects.exists()
    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.PAUSED
    # True, and harmless: resuming starts a new wait (expecting_pings_since).
    assert heartbeat.last_ping_at == Ping.objects.latest("id").received_at


def test_each_ping_url_is_throttled(client, rates, heartbeat, alice):
    rates(ping="3/minute")
    other = MonitorFactory(owner=alice, kind=Monitor.Kind.HEARTBEAT, url="")

    statuses = [client.get(path(heartbeat)).status_code for _ in range(3)]
    throttled = client.get(path(heartbeat, "fail"))

    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert f"retry in {throttled['Retry-After']} s" in throttled.content.decode()
    assert Ping.objects.filter(monitor=heartbeat).count() == 3
    assert client.get(path(other)).status_code == 200


def test_a_ping_goes_through_when_the_throttles_redis_is_down(client, rates, heartbeat,
                                                               settings, caplog):
    rates(ping="1/minute")
    # Nothing listens on port 1: every cache call fails at once.
    settings.CACHES = {"default": {"BACKEND": "uptime.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}

    statuses = [client.get(path(heartbeat)).status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert Ping.objects.count() == 2
    assert "ping throttle unavailable" in caplog.text


def test_pings_beyond_the_newest_keep_are_pruned(client, heartbeat):
    long_ago = timezone.now() - timedelta(days=1)
    Ping.objects.bulk_create(
        Ping(monitor=heartbeat, kind="success", method="GET",
             received_at=long_ago + timedelta(minutes=n), body=str(n))
        for n in range(Ping.KEEP)
    )
    others = MonitorFactory(kind=Monitor.Kind.HEARTBEAT, url="")
    Ping.objects.create(monitor=others, kind="success", method="GET", received_at=long_ago)

    client.get(path(heartbeat))
    client.get(path(heartbeat))

    kept = Ping.objects.filter(monitor=heartbeat)
    assert kept.count() == Ping.KEEP
    assert not kept.filter(body__in=["0", "1"]).exists()
    assert kept.filter(body="2").exists()
    assert Ping.objects.filter(monitor=others).count() == 1


# --- a ping and a deadline check at the same time -----------------------------------------

def test_a_ping_during_a_deadline_check_keeps_the_monitor_up(client, heartbeat):
    overdue(heartbeat)
    # The deadline check has claimed the monitor and decided the deadline was missed ...
    check = Monitor.from_db(Monitor.objects.db, ["id"], [heartbeat.pk])
    assert check.claim_check(scheduled=False)
    missed = executor_for("heartbeat").run(check.check_spec())
    assert missed.outcome == Outcome.MISSED_HEARTBEAT

    # ... when the job's ping commits, before the check records.
    assert client.get(path(heartbeat)).status_code == 200
    recorded = record_result(heartbeat.pk, missed, claimed=check)

    assert recorded is None
    assert list(CheckResult.objects.values_list("outcome", flat=True)) == [Outcome.OK]
    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.UP
    assert heartbeat.check_lease_until is None
    assert not Incident.objects.exists()


def test_a_ping_after_a_recorded_miss_resolves_it(client, heartbeat):
    overdue(heartbeat)
    check = Monitor.from_db(Monitor.objects.db, ["id"], [heartbeat.pk])
    assert check.claim_check(scheduled=False)
    missed = executor_for("heartbeat").run(check.check_spec())
    assert record_result(heartbeat.pk, missed, claimed=check) is not None
    assert Incident.objects.get().is_open

    client.get(path(heartbeat))

    heartbeat.refresh_from_db()
    assert heartbeat.status == Monitor.Status.UP
    assert not Incident.objects.get().is_open


# --- the API's list of pings --------------------------------------------------------------

def test_the_api_lists_a_monitors_pings_newest_first(client, as_alice, heartbeat):
    client.get(path(heartbeat, "start"))
    client.post(path(heartbeat, "1"), b"boom", content_type="text/plain",
                HTTP_USER_AGENT="cron")

    response = as_alice.get(f"/api/v1/monitors/{heartbeat.pk}/pings/")

    assert response.status_code == 200
    first, second = response.json()["results"]
    assert set(first) == {"id", "received_at", "kind", "exit_status", "method", "remote_addr",
                          "user_agent", "body"}
    assert (first["kind"], first["exit_status"], first["method"], first["body"],
            first["user_agent"], first["remote_addr"]) == (
        "fail", 1, "POST", "boom", "cron", "127.0.0.1"
    )
    assert second["kind"] == "start"


def test_the_api_pages_through_pings(client, as_alice, heartbeat):
    for _ in range(3):
        client.get(path(heartbeat))

    page = as_alice.get(f"/api/v1/monitors/{heartbeat.pk}/pings/?page_size=2").json()
    rest = as_alice.get(page["next"]).json()

    assert len(page["results"]) == 2 and len(rest["results"]) == 1
    assert rest["next"] is None


def test_another_users_pings_are_not_found(as_charlie, heartbeat, client):
    client.get(path(heartbeat))

    assert as_charlie.get(f"/api/v1/monitors/{heartbeat.pk}/pings/").status_code == 404


# --- creating and changing heartbeats through the API ----------------------------------------

def test_a_new_heartbeat_needs_no_url_and_alerts_on_the_first_miss(as_alice):
    response = as_alice.post("/api/v1/monitors/", {
        "name": "Nightly backup", "kind": "heartbeat", "interval_seconds": 86400,
        "grace_seconds": 600,
    })

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["url"], body["failure_threshold"], body["grace_seconds"]) == ("", 1, 600)
    monitor = Monitor.objects.get()
    assert body["ping_url"] == monitor.ping_url
    assert body["ping_url"].endswith(f"/ping/{monitor.ping_token}")


def test_a_new_heartbeat_keeps_an_explicit_threshold(as_alice):
    response = as_alice.post("/api/v1/monitors/", {
        "name": "Flaky job", "kind": "heartbeat", "failure_threshold": 3,
    })

    assert response.status_code == 201
    assert response.json()["failure_threshold"] == 3


def test_other_kinds_keep_their_default_threshold_and_need_a_url(as_alice):
    missing = as_alice.post("/api/v1/monitors/", {"name": "API", "kind": "http"})
    created = as_alice.post("/api/v1/monitors/", {"name": "API", "url": "https://example.com"})

    assert missing.status_code == 400 and "url" in missing.json()
    assert created.json()["failure_threshold"] == 3
    assert created.json()["ping_url"] == ""


def test_an_http_monitor_can_become_a_heartbeat_and_back(as_alice, alice):
    monitor = MonitorFactory(owner=alice)
    url = f"/api/v1/monitors/{monitor.pk}/"

    to_heartbeat = as_alice.patch(url, {"kind": "heartbeat"})
    assert to_heartbeat.status_code == 200, to_heartbeat.json()
    assert to_heartbeat.json()["url"] == ""
    assert to_heartbeat.json()["ping_url"].endswith(str(monitor.ping_token))

    without_url = as_alice.patch(url, {"kind": "tcp"})
    assert without_url.status_code == 400
    assert "url" in without_url.json()

    back = as_alice.patch(url, {"kind": "http", "url": "https://example.com/health"})
    assert back.status_code == 200, back.json()
    assert (back.json()["kind"], back.json()["ping_url"]) == ("http", "")
    monitor.refresh_from_db()
    assert monitor.expecting_pings_since is None
