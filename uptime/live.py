"""The live-status layer: small JSON events from workers to every open dashboard.

Workers publish each event to the owner's group (sockets on the default subscription: a user's
own monitors) and to the monitor's group (sockets subscribed to it), and the events that change
a summary (flips, incidents, monitors added, removed, paused, edited) to the summary groups as
well, through the channel layer (channels-redis on the broker's Redis, so a worker on another
machine reaches the browsers). Which socket gets what, and in which messages, is
uptime/consumers.py's and uptime/live_protocol.py's business.
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
    monitor.degraded       that check changed the status to degraded (up but unwell, or down
                           in fewer regions than the quorum)
    monitor.unknown        none of the monitor's regions reported for 3 intervals
    incident.opened        "incident": incident_state(...)
    incident.acknowledged  "incident": incident_state(...)
    incident.resolved      "incident": incident_state(...)
    incident.updated       a note was posted on it: "incident", and "update": update_state(...)
    monitor.created        a dashboard adds the row
    monitor.updated        edited (name, URL, schedule...)
    monitor.paused
    monitor.resumed
    monitor.deleted        "monitor" holds only its id: the row is gone

A client that connects (or reconnects) first gets {"type": "snapshot", "monitors": [...]}, one
monitor_state() per monitor of its subscription with its open incident, in pages if large;
see uptime/consumers.py and uptime/static/uptime/live-protocol.schema.json.

Public status pages have a group each (/ws/status/<slug>/, no login). Their viewers get only
{"type": "status_page.changed"}, after the page's cached copy was rendered again, and refetch
it: the events of PUBLIC_PAGE_EVENTS trigger that (uptime/public_pages.py), the rest (a check
that changes nothing, an acknowledgement) cost the pages nothing.
"""

import asyncio
import logging

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from uptime import live_redis

logger = logging.getLogger(__name__)

# Sockets on a summary of every monitor (staff); a user's summary has a group per user.
FLEET_SUMMARY_GROUP = "status.summary"
PUBLISH_TIMEOUT_SECONDS = 2.0
# What a public status page shows changes only with these (a deleted monitor's pages are
# refreshed by uptime/public_page_signals.py: once it is gone, nothing says where it was).
PUBLIC_PAGE_EVENTS = frozenset({
    "monitor.up", "monitor.down", "monitor.degraded", "monitor.unknown", "monitor.updated",
    "monitor.paused", "monitor.resumed", "incident.opened", "incident.resolved",
    "incident.updated",
})


# What a summary counts changes only with these (and with a check that changed the status
# without a flip event of its own: becoming pending).
SUMMARY_EVENTS = PUBLIC_PAGE_EVENTS | {"monitor.created", "monitor.deleted",
                                       "incident.acknowledged"}


def owner_group(user_id: int) -> str:
    return f"status.user.{user_id}"


def monitor_group(monitor_id: int) -> str:
    return f"status.monitor.{monitor_id}"


def owner_summary_group(user_id: int) -> str:
    return f"status.summary.user.{user_id}"


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
        # A monitor with regions: each region's dot ([] for one without).
        "regions": monitor.region_dots() if monitor.regions else [],
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
    from monitors.models import with_region_states

    incidents = Incident.objects.open()
    # A queryset as a subquery: 10,000 ids as parameters is past SQLite's limit on some builds.
    incidents = (incidents.filter(monitor__in=monitors.values("pk")) if hasattr(monitors, "values")
                 else incidents.filter(monitor__in=list(monitors)))
    monitors = with_region_states(list(monitors))
    open_incidents = {incident.monitor_id: incident for incident in incidents}
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


def publish_events(owner_id: int, events: list[dict], *, status_changed: bool = False) -> None:
    """Send several events, in order, in one go and under one deadline, then refresh the
    status pages the transitions among them change. `status_changed`: the monitor's status
    changed even if no event says so (a check that made it pending). Never raises."""
    if not events:
        return
    sends = []
    summary_groups = [FLEET_SUMMARY_GROUP, owner_summary_group(owner_id)]
    for position, event in enumerate(events):
        monitor_id = event.get("monitor", {}).get("id")
        groups = [owner_group(owner_id)]
        if monitor_id is not None:
            groups.append(monitor_group(monitor_id))
        sends.append((groups, {"type": "status.event", "event": event}))
        if event["type"] in SUMMARY_EVENTS or (status_changed and position == 0):
            # A separate message type: a socket subscribed to the monitor as well as to a
            # summary must not get the event twice (uptime/consumers.py).
            sends.append((summary_groups, {"type": "status.summary_event", "event": event}))
    _send_best_effort(sends, ", ".join(event["type"] for event in events))
    changed = {event["monitor"]["id"] for event in events
               if event["type"] in PUBLIC_PAGE_EVENTS and "id" in event.get("monitor", {})}
    if changed:
        from . import public_pages

        public_pages.refresh_pages_of_monitors(changed)


def publish_to_groups(groups: list[str], event: dict) -> None:
    """Send one event to the given groups only (a status page's viewers). Never raises."""
    _send_best_effort([(groups, {"type": "status.event", "event": event})], event["type"])


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
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        # Redis down or restarting: one line per publish, not a traceback per check, while it
        # lasts. Dashboards catch up by themselves: their sockets drop with Redis and get a
        # fresh snapshot when they reconnect (uptime/consumers.py, live.js).
        logger.warning("could not publish live event %s: %s", what, error)
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


def update_state(update) -> dict:
    return {
        "id": update.pk,
        "status": update.status,
        "message": update.message,
        "posted_at": update.posted_at.isoformat(),
    }


def publish_monitor_deleted(owner_id: int, monitor_id: int) -> None:
    publish(owner_id, {"type": "monitor.deleted", "monitor": {"id": monitor_id}})
