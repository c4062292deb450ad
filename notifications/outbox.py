"""Writing notification intents in the incident's transaction, and publishing them after."""

from django.db import transaction

from .models import Delivery, NotificationChannel


def channels_for(monitor):
    chosen = monitor.channels.filter(is_enabled=True)
    if chosen.exists():
        return chosen
    return NotificationChannel.objects.filter(owner_id=monitor.owner_id, is_enabled=True)


def enqueue(incident, event: str) -> list[Delivery]:
    """Record one Delivery per channel and publish them once the transaction commits.

    If the process dies between the commit and the publish, the rows are still there and
    the periodic sweep publishes them: nothing is lost, and the unique key plus the claim in
    the task keep a double publish harmless.
    """
    deliveries = [
        Delivery(incident=incident, channel=channel, event=event)
        for channel in channels_for(incident.monitor)
    ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    created = list(
        Delivery.objects.filter(incident=incident, event=event, status=Delivery.Status.PENDING)
    )
    ids = [delivery.pk for delivery in created]
    if ids:
        # robust: a broker outage at publish time is logged; the sweep retries later.
        transaction.on_commit(lambda: publish(ids), robust=True)
    return created


def publish(delivery_ids: list[int]) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
