"""The live-status layer: small JSON events from workers to every open dashboard.

Workers publish to the owner's group and to the operators' group through the channel layer
(channels-redis on the broker's Redis, so a worker on another machine reaches the browsers).
Publishing is best effort: a missing or broken channel layer is logged, never raised, and a
Redis that does not answer costs at most PUBLISH_TIMEOUT_SECONDS, so a dashboard problem can
never fail a check or hold up a worker for long.

Every publish runs on one long-lived event loop per process, in a daemon thread of its own
(started on first use, and again in a forked child, whose copy of the thread is gone). The
caller's thread hands it the coroutine and waits for it, bounded. asgiref's async_to_sync
would build an event loop per call instead, and channels-redis keeps its connection pools
per event loop, so every event would also have reconnected to Redis.

Every event is {"type": ..., "monitor": monitor_state(...), ...}:

    check                  a check result landed ("check": the result)
    monitor.up             that check changed the status to up (after unknown or down)
    monitor.down           that check changed the status to down (the failure threshold)
    incident.opened        "incident": incident_state(...)
    incident.acknowledged  "incident": incident_state(...)
    incident.resolved      "incident": incident_state(...)
    monitor.created        a dashboard adds the row
    monitor.updated        edited (name, URL, schedule...)
    monitor.paused
    monitor.resumed
    monitor.deleted        "monitor" holds only its id: the row is gone

A client that connects (or reconnects) first gets {"type": "snapshot", "monitors": [...]}, one
monitor_state() per visible monitor with its open incident; see uptime/consumers.py.
"""

import asyncio
import logging
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeoutError

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

OPERATORS_GROUP = "status.operators"
PUBLISH_TIMEOUT_SECONDS = 2.0


def owner_group(user_id: int) -> str:
    return f"status.user.{user_id}"


def monitor_state(monitor) -> dict:
    return {
        "id": monitor.pk,
        "name": monitor.name,
        "url": monitor.url,
        "status": monitor.status,
        "is_paused": monitor.is_paused,
        "last_checked_at": monitor.last_checked_at.isoformat() if monitor.last_checked_at else None,
        "last_response_ms": monitor.last_response_ms,
        "consecutive_failures": monitor.consecutive_failures,
    }


def incident_state(incident) -> dict:
    return {
        "id": incident.pk,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "acknowledged_at": (
            incident.acknowledged_at.isoformat() if incident.acknowledged_at else None
        ),
        "cause": incident.cause,
    }


def snapshot(monitors) -> dict:
    """The snapshot event for a queryset of monitors: each one's state and open incident."""
    from incidents.models import Incident

    monitors = list(monitors)
    open_incidents = {
        incident.monitor_id: incident
        for incident in Incident.objects.open().filter(monitor__in=monitors)
    }
    states = []
    for monitor in monitors:
        incident = open_incidents.get(monitor.pk)
        state = monitor_state(monitor)
        state["open_incident"] = incident_state(incident) if incident else None
        states.append(state)
    return {"type": "snapshot", "monitors": states}


def publish(owner_id: int, event: dict) -> None:
    """Send one event to the owner's dashboards and the operators'. Never raises."""
    publish_events(owner_id, [event])


def publish_events(owner_id: int, events: list[dict]) -> None:
    """Send several events, in order, in one hand-over to the publishing loop and under one
    deadline. Never raises."""
    if not events:
        return
    groups = [owner_group(owner_id), OPERATORS_GROUP]
    sends = [(groups, {"type": "status.event", "event": event}) for event in events]
    _send_best_effort(sends, ", ".join(event["type"] for event in events))


def revocation_group(*, token_key: str = "", session_key: str = "") -> str:
    """The group of the sockets signed in with one API token, or with one browser session."""
    return f"auth.token.{token_key}" if token_key else f"auth.session.{session_key}"


def close_sockets(group: str) -> None:
    """Close the sockets of a token that was revoked or a session that logged out: what they
    were allowed to see when they connected, they may no longer see. Never raises."""
    _send_best_effort([([group], {"type": "auth.revoked"})], "auth.revoked")


def _send_best_effort(sends: list[tuple[list[str], dict]], what: str) -> None:
    future = None
    try:
        layer = get_channel_layer()
        if layer is None:
            logger.warning("no channel layer configured; live event %s dropped", what)
            return
        future = asyncio.run_coroutine_threadsafe(_send(layer, sends), _publishing_loop())
        # The coroutine keeps its own deadline; this one only guards against a loop that is
        # itself stuck, so that the caller is never held much longer than the timeout.
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS + 1)
    except Exception as exc:  # the contract: publishing never fails a check or a request
        if future is not None and isinstance(exc, FutureTimeoutError):
            future.cancel()
        logger.warning("could not publish live event %s", what, exc_info=True)


async def _send(layer, sends: list[tuple[list[str], dict]]) -> None:
    # One deadline for every group and event, so a Redis that hangs costs at most this once.
    # Each event goes to its groups concurrently; events stay in order.
    async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
        for groups, message in sends:
            await asyncio.gather(*(layer.group_send(group, message) for group in groups))


class _PublishingLoop:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="live-publish", daemon=True
        )
        self.thread.start()


_publisher: _PublishingLoop | None = None
_publisher_lock = threading.Lock()


def _publishing_loop() -> asyncio.AbstractEventLoop:
    global _publisher
    publisher = _publisher
    if not _usable(publisher):
        with _publisher_lock:
            publisher = _publisher
            if not _usable(publisher):
                publisher = _publisher = _PublishingLoop()
    return publisher.loop


def _usable(publisher: _PublishingLoop | None) -> bool:
    return (publisher is not None and publisher.pid == os.getpid()
            and publisher.thread.is_alive())


def _forget_publisher_after_fork() -> None:
    # The child has a copy of the loop but not the thread that ran it, and possibly a copy of
    # the lock taken by a thread that no longer exists.
    global _publisher, _publisher_lock
    _publisher = None
    _publisher_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_publisher_after_fork)


def publish_monitor(monitor, kind: str, **extra) -> None:
    publish(monitor.owner_id, {"type": kind, "monitor": monitor_state(monitor), **extra})


def publish_monitor_deleted(owner_id: int, monitor_id: int) -> None:
    publish(owner_id, {"type": "monitor.deleted", "monitor": {"id": monitor_id}})
