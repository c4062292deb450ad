"""/metrics: Prometheus' text format behind a bearer token, each monitor's figures and the
system's health, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu import Connection, Queue
from prometheus_client.parser import text_string_to_metric_families

from monitors.models import Monitor, MonitoringGap
from monitors.outcomes import Outcome
from notifications.models import Delivery
from tests.factories import (
    CheckResultFactory,
    IncidentFactory,
    MonitorFactory,
    NotificationChannelFactory,
    delivery_for,
)
from tests.support.rabbitmq import rabbitmq_vhost
from uptime.metrics import queue_depths

pytestmark = pytest.mark.django_db

TOKEN = "9f2c1d0e-a-long-random-token"


@pytest.fixture
def token(settings):
    settings.UPTIME_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def queues(redis_server):
    """The broker's queues, empty (the suite's Redis is the broker)."""
    redis_server.delete("checks", "notifications", "checks.us")
    yield redis_server
    redis_server.delete("checks", "notifications", "checks.us")


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


def of(monitor: Monitor, **more: str) -> frozenset:
    return frozenset({"monitor_id": str(monitor.pk), "name": monitor.name, "kind": monitor.kind,
                      **more}.items())


def test_each_monitor_and_the_system_are_reported(client, token, queues):
    now = timezone.now()
    web = MonitorFactory(name='Shop "EU" \\ front', url="https://shop.example.com/health")
    Monitor.objects.filter(pk=web.pk).update(
        status=Monitor.Status.UP, last_checked_at=now - timedelta(seconds=30),
        last_response_ms=120, certificate_expires_at=now + timedelta(days=10))
    for minutes in (1, 2, 3):
        CheckResultFactory(monitor=web, checked_at=now - timedelta(minutes=minutes))
    CheckResultFactory(monitor=web, checked_at=now - timedelta(minutes=4),
                       outcome=Outcome.TIMEOUT, status_code=None, response_ms=None)
    down = MonitorFactory(name="db", kind=Monitor.Kind.TCP, url="tcp://db.example.com:5432")
    Monitor.objects.filter(pk=down.pk).update(status=Monitor.Status.DOWN,
                                              last_checked_at=now - timedelta(seconds=5))
    paused = MonitorFactory(name="old")
    Monitor.objects.filter(pk=paused.pk).update(last_checked_at=now - timedelta(days=2))
    paused.refresh_from_db()
    paused.pause()
    regional = MonitorFactory(name="global", regions=["us"])
    queues.rpush("checks", "a message", "another")
    queues.rpush("checks.us", "a message")
    channel = NotificationChannelFactory()
    delivery_for(channel)
    failed = delivery_for(channel, name="Other")
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED)
    IncidentFactory(monitor=web, resolved_at=now)
    beat_ran_at = now - timedelta(seconds=7)
    PeriodicTask.objects.update(last_run_at=None)
    PeriodicTask.objects.filter(pk=web.periodic_task_id).update(last_run_at=beat_ran_at)
    MonitoringGap.objects.create(monitor=down, started_at=now - timedelta(seconds=90))
    MonitoringGap.objects.create(monitor=web, started_at=now - timedelta(hours=2),
                                 ended_at=now - timedelta(hours=1))

    text = scrape(client)
    values = samples(text)

    assert values[("uptime_monitor_up", of(web))] == 1
    assert values[("uptime_monitor_up", of(down))] == 0
    assert ("uptime_monitor_up", of(paused)) not in values
    assert ("uptime_monitor_up", of(regional)) not in values  # not checked yet
    assert values[("uptime_monitor_status", of(web, status="up"))] == 1
    assert ("uptime_monitor_status", of(web, status="down")) not in values
    assert values[("uptime_monitor_status", of(down, status="down"))] == 1
    assert values[("uptime_monitor_status", of(paused, status="paused"))] == 1
    assert values[("uptime_monitor_last_response_seconds", of(web))] == 0.12
    assert ("uptime_monitor_last_response_seconds", of(down)) not in values
    assert values[("uptime_monitor_certificate_days_left", of(web))] == pytest.approx(10, abs=.01)
    assert ("uptime_monitor_certificate_days_left", of(down)) not in values
    assert values[("uptime_monitor_uptime_ratio", of(web, window="24h"))] == 0.75
    assert ("uptime_monitor_uptime_ratio", of(down, window="24h")) not in values
    assert values[("uptime_monitor_check_lag_seconds", of(web))] == pytest.approx(30, abs=10)
    assert values[("uptime_monitor_check_lag_seconds", of(down))] == pytest.approx(5, abs=10)
    assert ("uptime_monitor_check_lag_seconds", of(paused)) not in values
    assert ("uptime_monitor_check_lag_seconds", of(regional)) not in values
    assert values[("uptime_monitor_interval_seconds", of(web))] == 60
    assert values[("uptime_monitor_monitoring_gap_seconds", of(down))] == pytest.approx(
        90, abs=10)
    assert ("uptime_monitor_monitoring_gap_seconds", of(web)) not in values  # its gap ended
    assert values[("uptime_monitoring_gaps", frozenset())] == 1

    assert values[("uptime_queue_messages", frozenset({"queue": "checks"}.items()))] == 2
    assert values[("uptime_queue_messages", frozenset({"queue": "checks.us"}.items()))] == 1
    assert values[("uptime_queue_messages", frozenset({"queue": "notifications"}.items()))] == 0
    deliveries = {dict(labels)["status"]: value for (name, labels), value in values.items()
                  if name == "uptime_deliveries"}
    assert deliveries == {"pending": 1, "sending": 0, "held": 0, "failed": 1}
    assert values[("uptime_open_incidents", frozenset())] == 2
    assert values[("uptime_beat_last_run_timestamp_seconds", frozenset())] == pytest.approx(
        beat_ran_at.timestamp())

    # Names, yes (they label the series); targets, never.
    assert "example.com" not in text


def test_the_queries_do_not_grow_with_the_monitors(client, token, queues):
    MonitorFactory.create_batch(2)

    with CaptureQueriesContext(connection) as few:
        scrape(client)
    MonitorFactory.create_batch(20, regions=["us"])
    with CaptureQueriesContext(connection) as many:
        text = scrape(client)

    assert sum(name == "uptime_monitor_interval_seconds" for name, _ in samples(text)) == 22
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_no_statement_binds_a_parameter_per_monitor(client, token, queues):
    # SQLite refuses a statement with more than 32,766 bound parameters: a scrape that passed
    # every monitor's id would fail on a large embedded install.
    def parameters_bound(monitors: int) -> int:
        MonitorFactory.create_batch(monitors - Monitor.objects.count())
        now = timezone.now()
        for monitor in Monitor.objects.all():
            CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1))
        bound = []

        def count(execute, sql, params, many, context):
            bound.append(len(params or ()))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            text = scrape(client)
        assert sum(name == "uptime_monitor_uptime_ratio" for name, _ in samples(text)) == monitors
        return max(bound)

    assert parameters_bound(2) == parameters_bound(40)


def test_nothing_yet_is_still_valid_output(client, token, queues):
    values = samples(scrape(client))

    assert values[("uptime_open_incidents", frozenset())] == 0
    assert values[("uptime_monitoring_gaps", frozenset())] == 0
    assert ("uptime_beat_last_run_timestamp_seconds", frozenset()) not in values


def test_without_a_token_configured_there_is_no_such_page(client, settings):
    settings.UPTIME_METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer wrong-token",
    f"Bearer {TOKEN}x",
    f"Token {TOKEN}",
    f"Basic {TOKEN}",
    "Bearer ünïcödé-€",
    f"Bearer {TOKEN[:-1]}\x00",
])
def test_a_missing_or_wrong_token_is_refused(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"uptime_" not in response.content


def test_the_scheme_is_case_insensitive(client, token, queues):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}")

    assert response.status_code == 200


def test_metrics_are_only_read(client, token):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405


def test_a_broker_that_cannot_be_reached_reports_no_queues():
    assert queue_depths(["checks"], broker_url="redis://127.0.0.1:1/0") == {}
    assert queue_depths(["checks"], broker_url="amqp://guest:guest@127.0.0.1:1//") == {}


def test_queue_depths_on_rabbitmq():
    # This machine and CI run RabbitMQ (the fault suite needs it too): no skip without it.
    with rabbitmq_vhost() as url:
        with Connection(url) as broker:
            Queue("checks", channel=broker.default_channel).declare()
            producer = broker.Producer()
            for number in range(3):
                producer.publish({"number": number}, routing_key="checks")

        # "checks.us" was never declared: nothing waits in it (and the channel the broker
        # closed on that error is not reused for the next queue).
        assert queue_depths(["checks.us", "checks", "notifications"], broker_url=url) == {
            "checks.us": 0, "checks": 3, "notifications": 0}

