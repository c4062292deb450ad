"""One check, end to end: claim the monitor, probe it, record the result and its consequences.

Per check, in the steady state: one statement to claim (which also loads what the check needs),
the probe, one transaction of two statements to record, and one hand-over of its live events.
"""

import logging

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from uptime import live

from . import kinds
from .gaps import note_late_check
from .models import CheckResult, Monitor
from .outcomes import Outcome, ProbeResult

logger = logging.getLogger(__name__)


def probe_for(monitor: Monitor) -> kinds.Executor:
    return kinds.executor_for(monitor.kind)


def run_check(monitor_id: int, *, task_id: str | None = None, scheduled: bool = True,
              redelivered: bool = False, region: str | None = None,
              on_time_limit: type[BaseException] | None = None) -> CheckResult | None:
    """Check one monitor now. Returns the stored result, or None when this delivery stepped
    aside: the monitor is gone or paused, another check holds the claim, or this message
    was already processed (a redelivery after the result committed). A `redelivered`
    message whose first delivery died holding the claim takes the claim over
    (Monitor.claim_check).

    Time limits: the probe ends at the monitor's request deadline by itself (monitors/probe.py:
    its sockets are shut down then, and a DNS lookup is waited for at most the connect
    timeout), which is what bounds a check in the threads pool, where Celery enforces no time
    limit. Under the prefork pool, Celery's soft limit arrives as `on_time_limit` and is
    recorded as a timeout.

    With a `region` (a monitor checked from several regions), the claim and the counters are
    that region's, and the monitor's status is the quorum's verdict (run_region_check).
    """
    if region is not None:
        return run_region_check(monitor_id, region, task_id=task_id, scheduled=scheduled,
                                redelivered=redelivered, on_time_limit=on_time_limit)
    # Only the id is loaded; the claim loads the rest in the same statement.
    monitor = Monitor.from_db(Monitor.objects.db, ["id"], [monitor_id])
    if not monitor.claim_check(scheduled=scheduled, task_id=task_id, redelivered=redelivered):
        logger.debug("monitor %s: gone, paused, in flight, just checked or a redelivery",
                     monitor_id)
        return None
    if monitor.regions:
        # A message without a region for a monitor that has regions now (queued before they
        # were set): each region checks instead, so the quorum, not one check, decides.
        from .tasks import send_to_regions

        monitor.release_claim()
        send_to_regions(monitor_id, monitor.regions, scheduled=scheduled)
        return None
    _release_pooled_connection()
    # A check is "at" the moment it started: its slot on the schedule. Stamped at the end, a
    # check that waited out its timeout would look half an interval younger than it is, and
    # the next scheduled check would step aside as a duplicate of it.
    started_at = timezone.now()
    result = _probe(monitor, on_time_limit, release=monitor.release_claim)
    if result is None:
        # Nothing to record: a heartbeat whose deadline has not passed (its pings are its
        # results) or whose miss was already recorded this interval.
        monitor.release_claim()
        return None
    return record_result(monitor_id, result, task_id=task_id, claimed=monitor,
                         checked_at=started_at)


def run_region_check(monitor_id: int, region: str, *, task_id: str | None, scheduled: bool,
                     redelivered: bool, on_time_limit: type[BaseException] | None
                     ) -> CheckResult | None:
    """One region's check of a monitor with regions: the same steps as run_check, on the
    region's own state (Monitor.claim_region, Monitor.record_in_region)."""
    from incidents.lifecycle import apply_quorum

    monitor = Monitor.objects.filter(pk=monitor_id, is_paused=False).first()
    if monitor is None or region not in (monitor.regions or []):
        return None
    state = monitor.claim_region(region, scheduled=scheduled, task_id=task_id,
                                 redelivered=redelivered)
    if state is None:
        logger.debug("monitor %s in %s: in flight, just checked or a redelivery",
                     monitor_id, region)
        return None
    _release_pooled_connection()
    started_at = timezone.now()
    result = _probe(monitor, on_time_limit, release=state.release_claim)
    previous_status = monitor.status
    previous_checked_at = monitor.last_checked_at
    try:
        with transaction.atomic():
            recorded = monitor.record_in_region(state, result, checked_at=started_at,
                                                task_id=task_id)
            if recorded is None:
                return None
            check, verdict = recorded
            transition = apply_quorum(monitor, check, verdict)
            note_late_check(monitor, previous_checked_at, check.checked_at)
            flipped = monitor.status != previous_status
            transaction.on_commit(
                lambda: publish_check(monitor, check, transition, flipped=flipped), robust=True
            )
    except IntegrityError:
        state.release_claim()  # the same message's result is already stored: a duplicate
        return None
    return check


def _probe(monitor: Monitor, on_time_limit: type[BaseException] | None, *, release
           ) -> ProbeResult | None:
    """The probe's result; Celery's soft time limit (prefork) cutting it is a timeout. Any
    other exception gives the claim back (`release`) and goes on up."""
    try:
        return probe_for(monitor).run(monitor.check_spec())
    except BaseException as exc:
        if on_time_limit is None or not isinstance(exc, on_time_limit):
            release()
            raise
        return ProbeResult(Outcome.TIMEOUT, "check exceeded its time limit")


def release_dead_claim(monitor_id: int, task_id: str, *, region: str | None = None) -> bool:
    """Free the lease that the message `task_id` holds, if it still holds it: its check died
    with its worker and the message will not run again (monitors.tasks)."""
    from .models import RegionState

    if not task_id:
        return False
    if region is None:
        rows = Monitor.objects.filter(pk=monitor_id)
    else:
        rows = RegionState.objects.filter(monitor_id=monitor_id, region=region)
    return bool(rows.filter(check_lease_task_id=task_id, check_lease_until__isnull=False)
                .update(check_lease_until=None))


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
    previous_checked_at = monitor.last_checked_at
    has_open_incident = getattr(claimed, "has_open_incident", None)
    try:
        with transaction.atomic():
            if result.outcome == Outcome.MISSED_HEARTBEAT and monitor.pinged_since_loaded():
                # A ping arrived while this check decided the deadline was missed.
                monitor.release_claim()
                return None
            check = monitor.record(
                result, checked_at=checked_at or timezone.now(), task_id=task_id
            )
            if check is None:
                return None
            transition = apply_check(monitor, check, has_open_incident=has_open_incident)
            note_late_check(monitor, previous_checked_at, check.checked_at)
            flipped = monitor.status != previous_status
            transaction.on_commit(
                lambda: publish_check(monitor, check, transition, flipped=flipped), robust=True
            )
    except IntegrityError:
        # The same message's result is already stored (the unique task_id): a duplicate.
        Monitor.objects.filter(pk=monitor_id).update(check_lease_until=None)
        return None
    return check


_FLIP_EVENTS = (Monitor.Status.UP, Monitor.Status.DOWN, Monitor.Status.DEGRADED)


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
        "region": check.region,
    }}]
    if flipped and monitor.status in _FLIP_EVENTS:
        # "monitor.up" / "monitor.down" / "monitor.degraded": the status changed, so a client
        # that only cares about flips (a phone's badge) need not compare states itself.
        # Becoming pending is no flip of that kind; the check event carries it.
        events.append({"type": f"monitor.{monitor.status}", "monitor": state})
    if transition is not None:
        event, incident = transition
        events.append(
            {"type": event, "monitor": state, "incident": live.incident_state(incident)}
        )
    live.publish_events(monitor.owner_id, events, status_changed=flipped)
