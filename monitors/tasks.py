from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from . import checking


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
def run_check(self, monitor_id: int, scheduled: bool = True) -> None:
    """Check one monitor (see checking.run_check).

    The time limits above are Celery's, enforced by the prefork pool only. The checks worker
    runs the threads pool (UPTIME_CHECKS_POOL), where Celery enforces none: there the probe
    bounds itself to the monitor's request deadline (its sockets are shut down then, and a
    DNS lookup is waited for at most the connect timeout), which is shorter than these limits
    and than the claim lease, so the nesting in uptime/budgets.py holds in either pool.
    """
    checking.run_check(
        monitor_id,
        task_id=self.request.id,
        scheduled=scheduled,
        on_time_limit=SoftTimeLimitExceeded,
    )


def check_now(monitor) -> None:
    """Enqueue one check outside the schedule, with the monitor's own time limits."""
    limits = monitor.limits
    run_check.apply_async(
        (monitor.pk,),
        {"scheduled": False},
        queue=monitor.check_queue,
        soft_time_limit=limits.soft_time_limit,
        time_limit=limits.hard_time_limit,
        expires=monitor.interval_seconds,
    )
