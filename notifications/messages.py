"""What a notification says, built from the incident; wording lives in templates/notifications/."""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from incidents.models import format_duration


@dataclass(frozen=True)
class Notification:
    event: str
    incident: object
    monitor: object
    idempotency_key: str

    @property
    def monitor_url(self) -> str:
        # The web frontend's monitor page: its checks, chart and incident timeline.
        return f"{settings.SITE_URL}{reverse('web:monitor', args=[self.monitor.pk])}"

    def context(self) -> dict:
        incident = self.incident
        return {
            "event": self.event,
            "is_opened": self.event == "incident.opened",
            "monitor": self.monitor,
            "incident": incident,
            "monitor_url": self.monitor_url,
            "duration": format_duration(incident.duration),
        }

    def render(self, template: str) -> str:
        return render_to_string(f"notifications/{template}", self.context()).strip()

    def as_payload(self) -> dict:
        """The JSON body of a webhook: stable field names that receivers can rely on."""
        incident, monitor = self.incident, self.monitor
        return {
            "event": self.event,
            "idempotency_key": self.idempotency_key,
            "monitor": {
                "id": monitor.pk,
                "name": monitor.name,
                "url": monitor.url,
                "status": monitor.status,
                "link": self.monitor_url,
            },
            "incident": {
                "id": incident.pk,
                "opened_at": incident.opened_at.isoformat(),
                "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                "cause": incident.cause,
                "duration_seconds": int(incident.duration.total_seconds()),
            },
            "text": self.render("summary.txt"),
        }
