from celery import shared_task

from . import delivery, follow_up


@shared_task(
    name="notifications.deliver",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
    max_retries=None,  # attempts are counted on the Delivery row, not by Celery
)
def deliver(self, delivery_id: int) -> None:
    retry_in = delivery.attempt(delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(name="notifications.sweep_outbox", acks_late=True,
             soft_time_limit=60, time_limit=90)
def sweep_outbox() -> int:
    return len(delivery.sweep())


@shared_task(name="notifications.follow_up", acks_late=True, soft_time_limit=60, time_limit=90)
def follow_up_incidents() -> dict[str, int]:
    # Every row it writes is unique per (incident, channel, event, sequence): a duplicate or
    # overlapping run writes nothing twice.
    return follow_up.follow_up()
