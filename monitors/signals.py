from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Monitor


@receiver(post_delete, sender=Monitor)
def delete_schedule(sender, instance: Monitor, **kwargs) -> None:
    # post_delete fires for queryset.delete() too, where Monitor.delete() would not run.
    if instance.periodic_task_id:
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk=instance.periodic_task_id).delete()
