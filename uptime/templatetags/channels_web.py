"""Template tags for what the monitor pages show of notification channels and maintenance
windows. The rules live on the models; these only ask them, once per page."""

from django import template
from django.utils import timezone

from notifications.models import NotificationChannel

register = template.Library()


@register.simple_tag
def alerts_nobody(monitor) -> bool:
    """True when an incident of `monitor` would reach no channel."""
    return not NotificationChannel.objects.recipients_for(monitor).exists()


@register.simple_tag
def monitors_alerting_nobody(monitors) -> set[int]:
    """The ids of those of `monitors` (a page of them) that would alert nobody: one query."""
    return NotificationChannel.objects.silent_monitor_ids(monitors)


@register.simple_tag
def maintenance_windows_now(monitor) -> list[tuple]:
    """Each of the monitor's maintenance windows, with the end of its occurrence in effect
    now (None when it is not in effect)."""
    now = timezone.now()
    windows = monitor.maintenance_windows.all()
    return [(window, window.end_of_occurrence_at(now)) for window in windows]

