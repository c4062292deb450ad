"""One check, end to end: claim the monitor, probe it, record the result and its consequences."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from uptime import live

from .models import CheckResult, Monitor
from .outcomes import Outcome, ProbeResult
from .probe import HttpProbe

logger = logging.getLogger(__name__)


def probe_for(monitor: Monitor) -> HttpProbe:
    # One executor per check kind; HTTP(S) is the only kind so far.
    return HttpProbe(
        allow_private=settings.UPTIME_ALLOW_PRIVATE_TARGETS,
        user_agent=settings.UPTIME_USER_AGENT,
        max_body_bytes=settings.UPTIME_MAX_BODY_BYTES,
        max_redirects=settings.UPTIME_MAX_REDIRECTS,
    )


def run_check(monitor_id: int, *, task_id: str | None = None, scheduled: bool = True,
              on_time_limit: type[BaseException] | None = None) -> CheckResult | None:
    """Check one monitor now. Returns the stored result, or None when this delivery stepped
    aside: the monitor is gone or paused, another check holds the claim, or this message
    was already processed (a redelivery after the result committed)."""
    monitor = Monitor.objects.filter(pk=monitor_id).first()
    if monitor is None or monitor.is_paused:
        return None
    if task_id and CheckResult.objects.filter(task_id=task_id).exists():
        return None
    if not monitor.claim_check(scheduled=scheduled):
        logger.info("monitor %s: check already in flight or just done, skipped", monitor_id)
        return None
    try:
        result = probe_for(monitor).run(monitor.check_spec())
    except BaseException as exc:
        if on_time_limit is None or not isinstance(exc, on_time_limit):
            monitor.release_claim()
            raise
        result = ProbeResult(Outcome.TIMEOUT, "check exceeded its time limit")
    return record_result(monitor_id, result, task_id=task_id)


def record_result(monitor_id: int, result: ProbeResult, *, task_id: str | None = None
                  ) -> CheckResult | None:
    """Store the result, update the monitor, open or resolve an incident and write the
    notification intents, all in one transaction."""
    from incidents.lifecycle import apply_check

    try:
        with transaction.atomic():
            monitor = Monitor.objects.select_for_update().filter(pk=monitor_id).first()
            if monitor is None:
                return None
            previous_status = monitor.status
            check = monitor.record(result, checked_at=timezone.now(), task_id=task_id)
            transition = apply_check(monitor, check)
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
    live.publish_monitor(monitor, "check", check={
        "id": check.pk,
        "checked_at": check.checked_at.isoformat(),
        "outcome": check.outcome,
        "status_code": check.status_code,
        "response_ms": check.response_ms,
        "error": check.error,
    })
    if flipped and monitor.status in (Monitor.Status.UP, Monitor.Status.DOWN):
        # "monitor.up" / "monitor.down": the status changed, so a client that only cares about
        # flips (a phone's badge) need not compare states itself.
        live.publish_monitor(monitor, f"monitor.{monitor.status}")
    if transition is not None:
        event, incident = transition
        live.publish_monitor(monitor, event, incident={
            "id": incident.pk,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "cause": incident.cause,
        })
