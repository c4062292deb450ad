import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_revoked
from django.conf import settings

from . import checking, gaps, regions, rollups

logger = logging.getLogger(__name__)


@shared_task(
    name="monitors.run_check",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Ceilings for the longest allowed timeout; each monitor's PeriodicTask sends tighter
    # per-message limits derived from its own timeout (see monitors/schedule.py).
    soft_time_limit=settings.UPTIME_CHECK_BUDGET.limits_for(
        settings.UPTIME_MAX_TIMEOUT_SECONDS).soft_time_limit,
    time_limit=settings.UPTIME_CHECK_BUDGET.limits_for(
        settings.UPTIME_MAX_TIMEOUT_SECONDS).hard_time_limit,
)
def run_check(self, monitor_id: int, scheduled: bool = True, region: str | None = None,
              regions: list[str] | None = None) -> None:
    """Check one monitor (see checking.run_check).

    The time limits above are Celery's, enforced by the prefork pool only. The checks worker
    runs the threads pool (UPTIME_CHECKS_POOL), where Celery enforces none: there the probe
    bounds itself to the monitor's request deadline (its sockets are shut down then, and a
    DNS lookup is waited for at most the connect timeout), which is shorter than these limits
    and than the claim lease, so the nesting in uptime/budgets.py holds in either pool.

    A monitor with regions has one message per region, each with its `region`; our beat
    sends them (monitors/scheduler.py). A message with `regions` and no `region` (sent by a
    stock beat from the monitor's one PeriodicTask) is fanned out here, by the worker of the
    first region.
    """
    if region is None and regions:
        hard, soft = self.request.timelimit or (None, None)
        send_to_regions(monitor_id, regions, scheduled=scheduled, soft_time_limit=soft,
                        time_limit=hard, expires=self.request.expires)
        return
    checking.run_check(
        monitor_id,
        task_id=self.request.id,
        scheduled=scheduled,
        # Both brokers flag a message they deliver again (after a consumer died).
        redelivered=bool((self.request.delivery_info or {}).get("redelivered")),
        region=region,
        on_time_limit=SoftTimeLimitExceeded,
    )


@task_revoked.connect(dispatch_uid="monitors.tasks.free_a_discarded_checks_lease")
def free_a_discarded_checks_lease(sender=None, request=None, **kwargs) -> None:
    """A check message the worker discards (expired, or revoked) never runs; if it is the
    redelivery of a message whose first consumer died mid-check, that dead check's lease
    would keep the monitor unchecked until it ran out (timeout + 50 s). A check expires
    after one interval, and a worker killed with checks in flight comes back later than
    that, so RabbitMQ's prompt redelivery would be discarded and the lease kept: this hands
    it back at once, so the next slot is checked. Only a lease held by this very message.

    Only a redelivery can hold one, so only a redelivery costs a statement: a worker that
    starts after an outage discards hundreds of checks that expired while queued, in the
    consumer's own thread, and a statement each stalled it for ten seconds (case 11 saw it).
    """
    if getattr(sender, "name", None) != run_check.name or request is None:
        return
    if not (getattr(request, "delivery_info", None) or {}).get("redelivered"):
        return
    try:
        checking.release_dead_claim(request.args[0], request.id,
                                    region=(request.kwargs or {}).get("region"))
    except Exception:  # noqa: BLE001 - the consumer must go on; the lease ends by itself
        logger.exception("could not free the lease of discarded check %s", request.id)


def send_to_regions(monitor_id: int, regions: list[str], *, scheduled: bool, **options) -> None:
    from .models import queue_for

    for region in regions:
        run_check.apply_async((monitor_id,), {"scheduled": scheduled, "region": region},
                              queue=queue_for(region), **options)


def check_now(monitor) -> None:
    """Enqueue one check outside the schedule, with the monitor's own time limits."""
    limits = monitor.limits
    if monitor.regions:
        send_to_regions(monitor.pk, monitor.regions, scheduled=False,
                        soft_time_limit=limits.soft_time_limit,
                        time_limit=limits.hard_time_limit, expires=monitor.interval_seconds)
        return
    run_check.apply_async(
        (monitor.pk,),
        {"scheduled": False},
        queue=monitor.check_queue,
        soft_time_limit=limits.soft_time_limit,
        time_limit=limits.hard_time_limit,
        expires=monitor.interval_seconds,
    )


@shared_task(name="monitors.detect_gaps", acks_late=True, soft_time_limit=20, time_limit=25)
def detect_gaps() -> None:
    """Open and close monitoring gaps, and tell the staff of long ones (monitors/gaps.py);
    a monitor none of whose regions reports any more is unknown (monitors/regions.py)."""
    gaps.detect_gaps()
    regions.mark_unheard_monitors_unknown()


@shared_task(name="monitors.roll_up_history", acks_late=True, soft_time_limit=55,
             time_limit=60)
def roll_up_history() -> None:
    """Hourly and daily rollups of what has ended (monitors/rollups.py); idempotent, and a
    catch-up after an outage goes on at the next run."""
    rollups.roll_up(budget_seconds=45)


@shared_task(name="monitors.prune_history", acks_late=True, soft_time_limit=1800,
             time_limit=1900)
def prune_history() -> None:
    """Delete raw results and rollups past their retention, in small batches."""
    rollups.prune()
