from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from notifications.messages import Notification

from .base import Transport, TransportError


class EmailTransport(Transport):
    """Mail through Django's email backend (the console in dev, SMTP in production)."""

    kind = "email"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        to = config.get("to") if isinstance(config, dict) else None
        if not isinstance(to, str) or not to:
            return ['An email channel needs "to": an address.']
        try:
            validate_email(to)
        except ValidationError:
            return [f"to: {to!r} is not an email address."]
        return []

    def notify(self, notification: Notification) -> str:
        # A header cannot hold a line break, and a monitor's name might.
        subject = " ".join(notification.render("email/subject.txt").split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=notification.render("email/body.txt"),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[self.config["to"]],
            headers={"X-Uptime-Idempotency-Key": notification.idempotency_key},
        )
        message.attach_alternative(notification.render("email/body.html"), "text/html")
        try:
            sent = message.send()
        except OSError as exc:  # SMTP connection problems are worth a retry
            raise TransportError(f"email: {exc}"[:500]) from exc
        return f"sent {sent} message(s) to {self.config['to']}"
