"""The live-status layer: small JSON events from workers to every open dashboard.

Workers publish to the owner's group and to the operators' group through the channel layer
(channels-redis on the broker's Redis, so a worker on another machine reaches the browsers).
Publishing is best effort: a missing or broken channel layer is logged, never raised, and a
Redis that does not answer costs at most PUBLISH_TIMEOUT_SECONDS, so a dashboard problem can
never fail a check or hold up a worker for long.

Publishing is synchronous, from whatever thread calls it (a worker's, a request's): the
channels-redis layer is written to with a plain Redis client that keeps its connections
(uptime/live_redis.py), where channels-redis's own coroutine, run through async_to_sync,
would build an event loop per call, reconnect to Redis per loop and cost most of a check's
CPU. All the events of one check go in one call.

Every event is {"type": ..., "monitor": monitor_state(...), ...}:

    check                  a check result landed ("check": the result); its "monitor"
                           carries the new status, "pending" included
    monitor.up             that check changed the status to up (after unknown, pending or down)
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

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from uptime import live_redis

logger = logging.getLogger(__name__)

OPERATORS_GROUP = "status.operators"
PUBLISH_TIMEOUT_SECONDS = 2.0


def owner_group(user_id: int) -> str:
    return f"status.user.{user_id}"


def monitor_state(monitor) -> dict:
    return {
        "id": monitor.pk,
        "name": monitor.name,
        "url": monitor.shown_url,
        "status": monitor.status,
        "is_paused": monitor.is_paused,
        "last_checked_at": monitor.last_checked_at.isoformat() if monitor.last_checked_at else None,
        "last_response_ms": monitor.last_response_ms,
        # With the threshold, a client can say "Pending (2 of 3 failed)".
        "consecutive_failures": monitor.consecutive_failures,
        "failure_threshold": monitor.failure_threshold,
    }


def incident_state(incident) -> dict:
    return {
        "id": incident.pk,
        # started_at: the first failed check ("down since"); opened_at: the threshold reached.
        "started_at": incident.down_since.isoformat(),
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
    """Send several events, in order, in one go and under one deadline. Never raises."""
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
    try:
        layer = get_channel_layer()
        if layer is None:
            logger.warning("no channel layer configured; live event %s dropped", what)
            return
        if live_redis.handles(layer):
            live_redis.group_send_many(layer, sends, timeout=PUBLISH_TIMEOUT_SECONDS)
        else:
            async_to_sync(_send)(layer, sends)
    except Exception:  # the contract: publishing never fails a check or a request
        logger.warning("could not publish live event %s", what, exc_info=True)


async def _send(layer, sends: list[tuple[list[str], dict]]) -> None:
    # Any other channel layer, through its own group_send. One deadline for every group and
    # event, so a layer that hangs costs at most this once.
    async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
        for groups, message in sends:
            for group in groups:
                await layer.group_send(group, message)


def publish_monitor(monitor, kind: str, **extra) -> None:
    publish(monitor.owner_id, {"type": kind, "monitor": monitor_state(monitor), **extra})


def publish_monitor_deleted(owner_id: int, monitor_id: int) -> None:
    publish(owner_id, {"type": "monitor.deleted", "monitor": {"id": monitor_id}})
