from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"


class NotificationChannel(models.Model):
    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "Email"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_channels"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text='Webhook: {"url": "https://..."}. Email: {"to": "ops@example.com"}.',
    )
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def transport(self):
        from .transports import transport_for

        return transport_for(self)

    def clean(self) -> None:
        super().clean()
        if self.kind in self.Kind.values:
            errors = self.transport.validate_config(self.config)
            if errors:
                raise ValidationError({"config": errors})


class DeliveryQuerySet(models.QuerySet):
    def stuck(self, *, now=None) -> "DeliveryQuerySet":
        """Pending deliveries whose dispatch was lost (a crash between commit and publish,
        a broker outage) and sending ones whose worker died mid-attempt."""
        now = now or timezone.now()
        grace = now - timedelta(seconds=60)
        return self.filter(
            models.Q(status=Delivery.Status.PENDING, next_attempt_at__lte=grace)
            | models.Q(status=Delivery.Status.SENDING, lease_until__lt=now)
        )


class Delivery(models.Model):
    """One notification intent, the outbox row: written in the incident's transaction, then
    sent by a task. The unique key makes each (incident, channel, event) deliver once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "channel", "event"], name="one_delivery_per_event"
            )
        ]
        indexes = [
            # The sweep only ever looks at undelivered rows; keep that index small.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_undelivered_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"{self.incident_id}:{self.channel_id}:{self.event}"


class NotificationLog(models.Model):
    """Every attempt to deliver, successful or not. Never edited."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="logs")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="notification_logs"
    )
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="logs"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    attempt = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.CharField(max_length=500, blank=True)
    response = models.CharField(
        max_length=500, blank=True, help_text="What the provider answered (status, id)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel}: {self.outcome} (attempt {self.attempt})"
