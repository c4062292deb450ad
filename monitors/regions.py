"""The regions that have checks workers: each announces itself, so the known regions are the
ones somebody serves, not a list someone has to keep.

A worker that consumes a checks queue (`checks`, or `checks.<region>`) writes
"<region>|<worker name>" with the time into one Redis sorted set every ANNOUNCE_SECONDS, and
takes itself out when it shuts down. A region is served while one of its workers announced
within FRESH_SECONDS; a worker that died without a word drops out then.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "uptime:checks-workers"
ANNOUNCE_SECONDS = 15.0
FRESH_SECONDS = 45.0
# Entries older than this are removed as workers announce: the set never grows.
FORGET_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ServedRegion:
    name: str
    workers: tuple[str, ...]
    last_seen: datetime


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def announce(client: redis.Redis, region: str, worker: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    pipe = client.pipeline()
    pipe.zadd(KEY, {f"{region}|{worker}": now})
    pipe.zremrangebyscore(KEY, 0, now - FORGET_SECONDS)
    pipe.execute()


def withdraw(client: redis.Redis, region: str, worker: str) -> None:
    client.zrem(KEY, f"{region}|{worker}")


def served_regions(client: redis.Redis | None = None, now: float | None = None
                   ) -> list[ServedRegion]:
    """The regions with a worker heard from within FRESH_SECONDS, by name."""
    now = time.time() if now is None else now
    client = client or _client()
    entries = client.zrangebyscore(KEY, now - FRESH_SECONDS, "+inf", withscores=True)
    workers: dict[str, list[tuple[str, float]]] = {}
    for member, seen in entries:
        region, _, worker = member.decode().partition("|")
        workers.setdefault(region, []).append((worker, seen))
    return [
        ServedRegion(
            name=region,
            workers=tuple(sorted(worker for worker, _ in heard)),
            last_seen=datetime.fromtimestamp(max(seen for _, seen in heard), tz=UTC),
        )
        for region, heard in sorted(workers.items())
    ]


def served_region_names(client: redis.Redis | None = None) -> set[str] | None:
    """The names of the served regions; None when Redis cannot say."""
    try:
        return {region.name for region in served_regions(client)}
    except redis.RedisError:
        return None


def unserved(regions: list[str], client: redis.Redis | None = None) -> list[str]:
    """Those of `regions` that no worker was heard from for lately: choosing one is allowed
    (its checks wait in its queue until a worker starts) but worth a warning. [] when Redis
    cannot say."""
    served = served_region_names(client) if regions else None
    return [] if served is None else [name for name in regions if name not in served]


def unserved_warning(regions: list[str]) -> str:
    names = unserved(regions)
    if not names:
        return ""
    return (f"No checks worker serves {', '.join(names)} yet: its checks wait in "
            f"{', '.join(f'checks.{name}' for name in names)} until one starts "
            f"(UPTIME_REGION=<name> ... worker -Q checks.<name>), and the region goes stale "
            "meanwhile.")


def region_of_queue(queue: str) -> str | None:
    """The region a checks queue serves: `checks` is this worker's UPTIME_REGION (the default
    region), `checks.<region>` that region; None for any other queue."""
    if queue == "checks":
        return settings.UPTIME_REGION
    if queue.startswith("checks."):
        return queue.removeprefix("checks.")
    return None


class Announcer:
    """The thread that keeps a worker's announcements fresh, one per worker process."""

    def __init__(self, regions: set[str], worker: str) -> None:
        self.regions, self.worker = regions, worker
        self.stopped = threading.Event()
        self._failing = False

    def start(self) -> "Announcer":
        threading.Thread(target=self._run, name="uptime-region-announcer", daemon=True).start()
        return self

    def _run(self) -> None:
        client = _client()
        while True:
            try:
                for region in self.regions:
                    announce(client, region, self.worker)
                if self._failing:
                    logger.warning("regions: announcing %s again", ", ".join(self.regions))
                self._failing = False
            except redis.RedisError as error:
                if not self._failing:  # once per outage
                    logger.warning("regions: cannot announce %s (%s)",
                                   ", ".join(self.regions), error)
                self._failing = True
            if self.stopped.wait(ANNOUNCE_SECONDS):
                return

    def stop(self) -> None:
        self.stopped.set()
        try:
            client = _client()
            for region in self.regions:
                withdraw(client, region, self.worker)
        except redis.RedisError:
            pass  # it drops out after FRESH_SECONDS anyway


_announcer: Announcer | None = None


@worker_ready.connect(dispatch_uid="monitors.regions.announce")
def start_announcing(sender, **kwargs) -> None:
    """`sender` is the worker's consumer: its queues say which regions it serves."""
    global _announcer
    queues = {queue.name for queue in sender.task_consumer.queues}
    regions = {region for queue in queues if (region := region_of_queue(queue))}
    if regions and _announcer is None:
        _announcer = Announcer(regions, sender.hostname).start()
        logger.info("regions: this worker serves %s", ", ".join(sorted(regions)))


@worker_shutdown.connect(dispatch_uid="monitors.regions.withdraw")
def stop_announcing(**kwargs) -> None:
    global _announcer
    if _announcer is not None:
        _announcer.stop()
        _announcer = None


def mark_unheard_monitors_unknown(now: datetime | None = None) -> list[int]:
    """A monitor with regions none of which reported for STALE_INTERVALS intervals is
    `unknown`, not the up (or down) its last result said. No result arrives to say so, so
    this sweep does (with detect_gaps, every 30 s); the first result of any region sets the
    status again. Returns the ids it changed."""
    from django.db import transaction
    from django.utils import timezone

    from uptime import live

    from .models import Monitor
    from .quorum import STALE_INTERVALS

    now = now or timezone.now()
    # No monitor goes stale sooner than three of the shortest intervals.
    quiet_since = now - timedelta(seconds=STALE_INTERVALS * settings.UPTIME_MIN_INTERVAL_SECONDS)
    candidates = (
        Monitor.objects.filter(is_paused=False, last_checked_at__lt=quiet_since)
        .exclude(regions=[]).exclude(status=Monitor.Status.UNKNOWN)
        .prefetch_related("region_states")
    )
    changed = []
    for monitor in candidates:
        states = list(monitor.region_states.all())
        if not states or not all(state.is_stale(now) for state in states):
            continue
        with transaction.atomic():
            # Unless a result landed meanwhile (it would have set the status itself).
            if Monitor.objects.filter(pk=monitor.pk, last_checked_at=monitor.last_checked_at
                                      ).update(status=Monitor.Status.UNKNOWN):
                monitor.status = Monitor.Status.UNKNOWN
                changed.append(monitor.pk)
                transaction.on_commit(lambda m=monitor: live.publish_events(
                    m.owner_id, [{"type": "monitor.unknown", "monitor": live.monitor_state(m)}]))
    if changed:
        logger.warning("regions: no region of %d monitor(s) reported for %d intervals; "
                       "their status is unknown until one does", len(changed), STALE_INTERVALS)
    return changed
