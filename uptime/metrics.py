"""What /metrics tells Prometheus: each monitor's state and figures, and this system's own
health (check lag, queues, the outbox, beat, open incidents).

Everything is read when scraped, by a collector registered in a registry made for that one
request: no process-global metric objects, so any number of web processes answer the same
without a shared directory, and a scrape always shows the database as it is. The queries are a
fixed handful whatever the number of monitors (one for the monitors, one for open monitoring
gaps, four for the bulk uptime figures, one each for deliveries, incidents and beat), none per
monitor, and none with a bound parameter per monitor.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from incidents.models import Incident
from monitors import stats
from monitors.models import Monitor, MonitoringGap, queue_for
from notifications.models import Delivery

logger = logging.getLogger(__name__)

MONITOR_LABELS = ["monitor_id", "name", "kind"]
# Deliveries by status: those still to send (or held for a maintenance window) and those that
# gave up. Delivered and suppressed ones are done with, and not counted.
DELIVERY_STATUSES = [Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.HELD,
                     Delivery.Status.FAILED]
UPTIME_WINDOW = timedelta(hours=24)


def exposition() -> bytes:
    """The metrics in Prometheus' text format, read now."""
    registry = CollectorRegistry()
    registry.register(UptimeCollector())
    return generate_latest(registry)


class UptimeCollector(Collector):
    """A prometheus_client collector: `collect()` reads everything afresh each time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        monitors = list(Monitor.objects.order_by("pk").values(
            "pk", "name", "kind", "status", "last_checked_at", "last_response_ms",
            "certificate_expires_at", "interval_seconds", "regions"))
        gaps = dict(MonitoringGap.objects.filter(ended_at__isnull=True)
                    .values_list("monitor_id", "started_at"))
        yield from monitor_metrics(monitors, now, open_gaps=gaps)
        # Always present, 0 included, so that an alert on `> 0` needs no absent() beside it.
        yield GaugeMetricFamily(
            "uptime_monitoring_gaps", "Monitors in a monitoring gap now: not checked when "
            "they should have been (beat or workers down, a queue backed up).", value=len(gaps))
        regions = sorted({region for monitor in monitors for region in monitor["regions"]})
        yield from system_metrics(
            queues=["checks", "notifications", *(queue_for(region) for region in regions)])


def monitor_metrics(monitors: list[dict], now: datetime, *,
                    open_gaps: dict[int, datetime]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "uptime_monitor_up", "1 unless the monitor is down (pending still counts as up, as "
        "it opens no incident); absent while paused or not checked yet.", labels=MONITOR_LABELS)
    # One series per monitor, of its current status: a series for each of the six statuses
    # would be six times the series for five zeros, and Prometheus ends the old series by
    # itself (a stale marker) when the status changes.
    status = GaugeMetricFamily(
        "uptime_monitor_status", "Always 1, labelled with the monitor's current status (up, "
        "degraded, pending, down, paused or unknown).", labels=[*MONITOR_LABELS, "status"])
    response = GaugeMetricFamily(
        "uptime_monitor_last_response_seconds", "Response time of the last check.",
        labels=MONITOR_LABELS)
    certificate = GaugeMetricFamily(
        "uptime_monitor_certificate_days_left", "Days until the certificate the last TLS "
        "check saw expires (negative once expired); absent when none was seen.",
        labels=MONITOR_LABELS)
    uptime = GaugeMetricFamily(
        "uptime_monitor_uptime_ratio", "Share of checks that were up in the window (0 to 1); "
        "absent without checks in it.", labels=[*MONITOR_LABELS, "window"])
    lag = GaugeMetricFamily(
        "uptime_monitor_check_lag_seconds", "Seconds since the last check (compare with "
        "uptime_monitor_interval_seconds); absent while paused or never checked.",
        labels=MONITOR_LABELS)
    interval = GaugeMetricFamily(
        "uptime_monitor_interval_seconds", "The monitor's interval: seconds between checks, or "
        "between a heartbeat's expected pings.", labels=MONITOR_LABELS)
    gap = GaugeMetricFamily(
        "uptime_monitor_monitoring_gap_seconds", "Seconds since the monitor's open monitoring "
        "gap began (its check was due then and has not run); absent when it has none.",
        labels=MONITOR_LABELS)

    # Every monitor's: filtered by a subquery, not an id per monitor (SQLite's limit is 32,766
    # bound parameters a statement).
    reports = stats.uptime_reports(Monitor.objects.order_by().values_list("pk", flat=True),
                                   window=UPTIME_WINDOW)
    for monitor in monitors:
        labels = [str(monitor["pk"]), monitor["name"], monitor["kind"]]
        paused = monitor["status"] == Monitor.Status.PAUSED
        if not paused and monitor["status"] != Monitor.Status.UNKNOWN:
            up.add_metric(labels, 0 if monitor["status"] == Monitor.Status.DOWN else 1)
        status.add_metric([*labels, monitor["status"]], 1)
        if monitor["last_response_ms"] is not None:
            response.add_metric(labels, monitor["last_response_ms"] / 1000)
        if monitor["certificate_expires_at"] is not None:
            left = monitor["certificate_expires_at"] - now
            certificate.add_metric(labels, left.total_seconds() / 86400)
        report = reports.get(monitor["pk"])
        if report is not None and report.uptime_percent is not None:
            uptime.add_metric([*labels, "24h"], report.uptime_percent / 100)
        if monitor["last_checked_at"] is not None and not paused:
            # A clock a little ahead on a worker must not make a negative lag.
            seconds = max(0.0, (now - monitor["last_checked_at"]).total_seconds())
            lag.add_metric(labels, seconds)
        interval.add_metric(labels, monitor["interval_seconds"])
        if monitor["pk"] in open_gaps:
            gap.add_metric(labels, max(0.0, (now - open_gaps[monitor["pk"]]).total_seconds()))
    yield from (up, status, response, certificate, uptime, lag, interval, gap)


def system_metrics(*, queues: list[str]) -> Iterator[Metric]:
    depths = GaugeMetricFamily(
        "uptime_queue_messages", "Messages waiting in each broker queue (absent when the "
        "broker cannot be read).", labels=["queue"])
    for queue, waiting in queue_depths(queues).items():
        depths.add_metric([queue], waiting)
    yield depths

    deliveries = GaugeMetricFamily(
        "uptime_deliveries", "Notification deliveries still to send (pending, sending), held "
        "for a maintenance window, or failed for good.", labels=["status"])
    counts = dict(Delivery.objects.filter(status__in=DELIVERY_STATUSES).order_by()
                  .values_list("status").annotate(Count("pk")))
    for delivery_status in DELIVERY_STATUSES:
        deliveries.add_metric([delivery_status.value], counts.get(delivery_status, 0))
    yield deliveries

    yield GaugeMetricFamily("uptime_open_incidents", "Incidents not resolved yet.",
                            value=Incident.objects.open().count())

    # Beat writes each PeriodicTask's last_run_at as it sends it (ours in bulk every few
    # seconds, the stock scheduler per task), and its own periodic tasks run every minute,
    # so the newest one is when beat was last seen dispatching. One aggregate, no index: a
    # scan of one row per monitor per scrape, where recording a tick would cost beat's loop.
    last_run = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    if last_run is not None:
        yield GaugeMetricFamily(
            "uptime_beat_last_run_timestamp_seconds", "When beat last sent a task (unix time): "
            "the newest PeriodicTask.last_run_at.", value=last_run.timestamp())


def queue_depths(queues: Iterable[str], *, broker_url: str | None = None) -> dict[str, int]:
    """Messages waiting in each of `queues` on the Celery broker (Redis or RabbitMQ), or {}
    when the broker cannot be reached: metrics report nothing rather than fail.

    A passive declare is the broker's own count on both: the list lengths (each priority's
    list added up) on Redis, the ready messages on RabbitMQ. A queue the broker does not know
    (Redis keeps no empty list; RabbitMQ has no queue nobody declared) holds nothing.
    """
    from config.celery_app import app

    depths: dict[str, int] = {}
    connection = app.connection_for_read(broker_url)
    try:
        # One try, no retries: Prometheus times a scrape out after 10 s by default.
        connection.ensure_connection(max_retries=0)
        for queue in queues:
            # A channel per queue: RabbitMQ closes a channel after any error on it.
            with connection.channel() as channel:
                try:
                    depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except connection.channel_errors:
                    depths[queue] = 0
    except (OperationalError, OSError, *connection.connection_errors) as error:
        logger.warning("metrics: cannot read the queues from the broker: %s", error)
        return {}
    finally:
        connection.release()
    return depths
