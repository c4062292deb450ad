"""One check, end to end: claim the monitor, probe it, record the result and its consequences.

Per check, in the steady state: one statement to claim (which also loads what the check needs),
the probe, one transaction of two statements to record, and one hand-over of its live events.
"""

import logging

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from uptime import live

from . import kinds
from .models import CheckResult, Monitor
from .outcomes import Outcome, ProbeResult

logger = logging.getLogger(__name__)


def probe_for(monitor: Monitor) -> kinds.Executor:
    return kinds.executor_for(monitor.kind)


def run_check(monitor_id: int, *, task_id: str | None = None, scheduled: bool = True,
              on_time_limit: type[BaseException] | None = None) -> CheckResult | None:
    """Check one monitor now. Returns the stored result, or None when this delivery stepped
    aside: the monitor is gone or paused, another check holds the claim, or this message
    was already processed (a redelivery after the result committed).

    Time limits: the probe ends at the monitor's request deadline by itself (monitors/probe.py:
    its sockets are shut down then, and a DNS lookup is waited for at most the connect
    timeout), which is what bounds a check in the threads pool, where Celery enforces no time
    limit. Under the prefork pool, Celery's soft limit arrives as `on_time_limit` and is
    recorded as a timeout.
    """
    # Only the id is loaded; the claim loads the rest in the same statement.
    monitor = Monitor.from_db(Monitor.objects.db, ["id"], [monitor_id])
    if not monitor.claim_check(scheduled=scheduled, task_id=task_id):
        logger.debug("monitor %s: gone, paused, in flight, just checked or a redelivery",
                     monitor_id)
        return None
    _release_pooled_connection()
    # A check is "at" the moment it started: its slot on the schedule. Stamped at the end, a
    # check that waited out its timeout would look half an interval younger than it is, and
    # the next scheduled check would step aside as a duplicate of it.
    started_at = timezone.now()
    try:
        result = probe_for(monitor).run(monitor.check_spec())
    except BaseException as exc:
        if on_time_limit is None or not isinstance(exc, on_time_limit):
            monitor.release_claim()
            raise
        result = ProbeResult(Outcome.TIMEOUT, "check exceeded its time limit")
    return record_result(monitor_id, result, task_id=task_id, claimed=monitor,
                         checked_at=started_at)


def _release_pooled_connection() -> None:
    """Give the database connection back while the probe waits on the network, so that
    hundreds of checks in flight share a few pooled connections. Only with a pool: without
    one this would close the connection and open a new one for every check."""
    connection = connections[Monitor.objects.db]
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


def record_result(monitor_id: int, result: ProbeResult, *, task_id: str | None = None,
                  claimed: Monitor | None = None, checked_at=None) -> CheckResult | None:
    """Store the result, update the monitor, open or resolve an incident and write the
    notification intents, all in one transaction.

    `claimed` is the monitor as its claim loaded it; without it (a result recorded outside
    a check) the incident table is asked whether an incident is open.
    """
    from incidents.lifecycle import apply_check

    monitor = claimed or Monitor.objects.filter(pk=monitor_id).first()
    if monitor is None:
        return None
    previous_status = monitor.status
    has_open_incident = getattr(claimed, "has_open_incident", None)
    try:
        with transaction.atomic():
            check = monitor.record(
                result, checked_at=checked_at or timezone.now(), task_id=task_id
            )
            if check is None:
                return None
            transition = apply_check(monitor, check, has_open_incident=has_open_incident)
            flipped = monitor.status != previous_status
            transaction.on_commit(
                lambda: publish_check(monitor, check, transition, flipped=flipped), robust=True
            )
    except IntegrityError:
        # The same message's result is already stored (the unique task_id): a duplicate.
        Monitor.objects.filter(pk=monitor_id).update(check_lease_until=None)
        return None
    return check


def publish_check(monitor: Monitor, check: CheckResult, transition, *, flipped: bool = False
                  ) -> None:
    """The check's live events, handed to the channel layer in one go."""
    state = live.monitor_state(monitor)
    events = [{"type": "check", "monitor": state, "check": {
        "id": check.pk,
        "checked_at": check.checked_at.isoformat(),
        "outcome": check.outcome,
        "status_code": check.status_code,
        "response_ms": check.response_ms,
        "error": check.error,
    }}]
    if flipped and monitor.status in (Monitor.Status.UP, Monitor.Status.DOWN):
        # "monitor.up" / "monitor.down": the status changed, so a client that only cares about
        # flips (a phone's badge) need not compare states itself. Becoming pending is no flip
        # of that kind; the check event carries it.
        events.append({"type": f"monitor.{monitor.status}", "monitor": state})
    if transition is not None:
        event, incident = transition
        events.append(
            {"type": event, "monitor": state, "incident": live.incident_state(incident)}
        )
    live.publish_events(monitor.owner_id, events)
