"""The live-status layer: small JSON events from workers to every open dashboard.

Workers publish to the owner's group and to the operators' group through the channel layer
(channels-redis on the broker's Redis, so a worker on another machine reaches the browsers).
Publishing is best effort: a missing or broken channel layer is logged, never raised, so a
dashboard problem can never fail or delay a check.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

OPERATORS_GROUP = "status.operators"


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


def publish(owner_id: int, event: dict) -> None:
    """Send one event to the owner's dashboards and the operators'. Never raises."""
    try:
        layer = get_channel_layer()
        if layer is None:
            logger.warning("no channel layer configured; live event %s dropped", event["type"])
            return
        message = {"type": "status.event", "event": event}
        send = async_to_sync(_send_both)
        send(layer, owner_group(owner_id), message)
    except Exception:  # the contract: publishing never fails a check
        logger.warning("could not publish live event %s", event.get("type"), exc_info=True)


async def _send_both(layer, group: str, message: dict) -> None:
    await layer.group_send(group, message)
    await layer.group_send(OPERATORS_GROUP, message)


def publish_monitor(monitor, kind: str, **extra) -> None:
    publish(monitor.owner_id, {"type": kind, "monitor": monitor_state(monitor), **extra})
