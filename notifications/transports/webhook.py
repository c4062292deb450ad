from monitors.validators import validate_target_url
from notifications.messages import Notification

from .base import Transport
from .http import post_json


class WebhookTransport(Transport):
    """A JSON POST of the event, the monitor and the incident to the channel's URL."""

    kind = "webhook"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        url = config.get("url") if isinstance(config, dict) else None
        if not isinstance(url, str) or not url:
            return ['A webhook needs a "url".']
        try:
            validate_target_url(url)
        except Exception as exc:  # ValidationError: report its text, not a traceback
            return [f"url: {' '.join(getattr(exc, 'messages', [str(exc)]))}"]
        return []

    def notify(self, notification: Notification) -> str:
        response = post_json(
            self.config["url"],
            notification.as_payload(),
            headers={"Idempotency-Key": notification.idempotency_key},
        )
        return f"HTTP {response.status_code}"
