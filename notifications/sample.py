"""A channel's "send a test": a sample message through the channel's real transport, logged
like any delivery attempt, so a user sees whether alerts will arrive before one is needed."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from incidents.models import Incident
from monitors.models import Monitor

from .messages import Escape, Notification, escape_for, no_escape
from .models import Event, NotificationChannel, NotificationLog
from .transports import TransportError


@dataclass(frozen=True)
class SampleNotification(Notification):
    """A Notification about an example monitor and incident that are never saved, worded by
    templates/notifications/sample/. A transport added later that renders a template of its
    own gets the sample summary rather than an error."""

    channel_name: str = ""

    @property
    def monitor_url(self) -> str:
        return f"{settings.SITE_URL}{reverse('web:dashboard')}"

    def context(self, escape: Escape = no_escape) -> dict:
        return {**super().context(escape), "channel_name": mark_safe(escape(self.channel_name))}

    def render(self, template: str, escape: Escape | None = None) -> str:
        chosen = select_template(
            [f"notifications/sample/{template}", "notifications/sample/summary.txt"]
        )
        return chosen.render(self.context(escape or escape_for(template))).strip()


def sample_notification(channel: NotificationChannel) -> SampleNotification:
    now = timezone.now()
    # Unsaved stand-ins: the payload keeps the shape of a real one, so a receiver can test its
    # parsing; ids are null, which no real event has.
    monitor = Monitor(name="Example API", url="https://example.com/health", status="down")
    incident = Incident(monitor=monitor, opened_at=now, cause="This is a test message.")
    return SampleNotification(
        event=Event.TEST,
        incident=incident,
        monitor=monitor,
        idempotency_key=f"test:{channel.pk}:{uuid.uuid4().hex}",
        channel_name=channel.name,
    )


def send_test_message(channel: NotificationChannel) -> NotificationLog:
    """Send one sample through `channel` now, once, and return the logged outcome."""
    log = NotificationLog(channel=channel, event=Event.TEST, attempt=1)
    try:
        log.response = channel.transport.notify(sample_notification(channel))[:500]
        log.outcome = NotificationLog.Outcome.DELIVERED
    except TransportError as error:
        log.outcome = NotificationLog.Outcome.FAILED
        log.error = error.message[:500]
        log.response = error.response[:500]
    log.save()
    return log
