"""Signal receivers for monitors: the schedule follows a deletion, and a monitor is checked at
once when it starts being checked or what it checks changes.

Receivers, not code in a view, because monitors are created and edited from the web, the API,
the admin and the shell alike, and each of those goes through Monitor.save().
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from kombu.exceptions import OperationalError as BrokerError

from .models import Monitor

logger = logging.getLogger(__name__)

# What defines the request a check makes, and where it runs: a change to any of these makes the
# last result describe something else. Name, interval, threshold and channels do not.
CHECKED_FIELDS = (
    "kind", "url", "method", "request_headers", "expected_status_codes", "timeout_seconds",
    "regions", "assertions", "dns_record_type", "dns_expected", "dns_resolver", "tls_warn_days",
)


@receiver(post_delete, sender=Monitor)
def delete_schedule(sender, instance: Monitor, **kwargs) -> None:
    # post_delete fires for queryset.delete() too, where Monitor.delete() would not run.
    if instance.periodic_task_id:
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk=instance.periodic_task_id).delete()


@receiver(pre_save, sender=Monitor, dispatch_uid="monitors.remember_checked_target")
def remember_checked_target(sender, instance: Monitor, raw: bool = False,
                            update_fields=None, **kwargs) -> None:
    # The stored row, not what the instance was loaded with: a stale instance saved again
    # unchanged is not an edit.
    instance._stored_target = None
    if raw or instance._state.adding:
        return
    if update_fields is not None and not {*CHECKED_FIELDS, "is_paused"} & set(update_fields):
        return
    instance._stored_target = (
        Monitor.objects.filter(pk=instance.pk).values(*CHECKED_FIELDS, "is_paused").first()
    )


@receiver(post_save, sender=Monitor, dispatch_uid="monitors.check_at_once")
def check_at_once(sender, instance: Monitor, created: bool, raw: bool = False,
                  update_fields=None, **kwargs) -> None:
    """Queue one check, after the commit, of a monitor just created, resumed, or whose target
    changed: otherwise its first result would come up to one interval later (the scheduler
    puts a new monitor at its first slot on a jittered grid).

    monitors.bulk.create_monitors() sends no signals, so bulk creation queues nothing: 10,000
    checks at once would sit in front of the scheduled ones, and beat's grid already spreads
    those monitors over their interval.
    """
    stored = getattr(instance, "_stored_target", None)
    instance._stored_target = None
    if raw or instance.is_paused:
        return
    if not created:
        if stored is None:
            return
        changed = stored["is_paused"] or any(
            stored[field] != getattr(instance, field) for field in CHECKED_FIELDS
        )
        if not changed:
            return
    transaction.on_commit(lambda: queue_check(instance), robust=True)


def queue_check(monitor: Monitor) -> None:
    """check_now(), but a broker that is down is logged rather than raised: the change is
    committed and its scheduled checks will run; it must not fail the request that made it."""
    from .tasks import check_now

    try:
        check_now(monitor)
    except BrokerError as error:
        logger.warning(
            "monitor %s: its first check could not be queued (%s); the schedule will run it",
            monitor.pk, error,
        )
