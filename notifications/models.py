from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from .validators import validate_apns_token


class Event(models.TextChoices):
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    # Sent while an incident stays open and unacknowledged, every channel.remind_every_minutes.
    INCIDENT_REMINDER = "incident.reminder", "Still down (reminder)"
    # Sent to a channel with escalate_after_minutes once the incident is that old and nobody
    # has acknowledged it; such a channel hears nothing of the incident before that.
    INCIDENT_ESCALATED = "incident.escalated", "Escalated (unacknowledged)"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    # Of a monitor, not an incident: its server's certificate expires within tls_warn_days.
    # Sent once per certificate (Delivery.certificate_fingerprint), never held by maintenance
    # (it is no outage), never reminded or escalated.
    CERTIFICATE_EXPIRING = "certificate.expiring", "Certificate expiring"
    # A sample sent from a channel's "test" action: logged, never a Delivery.
    TEST = "test", "Test message"


class NotificationChannelQuerySet(models.QuerySet):
    def recipients_for(self, monitor) -> "NotificationChannelQuerySet":
        """The channels an incident of `monitor` goes to: the enabled ones it names, or, if it
        names none that is enabled, every enabled channel of its owner. Escalation channels
        count: they hear of an incident later, but they hear of it."""
        chosen = self.filter(monitors=monitor, is_enabled=True)
        if chosen.exists():
            return chosen
        return self.filter(owner_id=monitor.owner_id, is_enabled=True)

    def silent_monitor_ids(self, monitors) -> set[int]:
        """The ids of those of `monitors` whose incidents would alert nobody, in one query.

        By recipients_for's rule a monitor reaches nobody exactly when its owner has no
        enabled channel: one that names only disabled channels falls back to the others.
        """
        monitors = list(monitors)
        heard = set(
            self.filter(owner_id__in={monitor.owner_id for monitor in monitors}, is_enabled=True)
            .values_list("owner_id", flat=True)
            .distinct()
        )
        return {monitor.pk for monitor in monitors if monitor.owner_id not in heard}


class NotificationChannel(models.Model):
    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"
        DISCORD = "discord", "Discord"
        TELEGRAM = "telegram", "Telegram"
        # Every active Device of the owner, through APNs (settings.UPTIME_APNS_*).
        APNS = "apns", "Apple Push"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_channels"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text='Webhook: {"url": "https://...", "secret": "..."}; email: {"to": "..."}; '
        'Slack or Discord: {"webhook_url": "https://..."}; Telegram: {"bot_token": "...", '
        '"chat_id": "..."}; Apple Push: {}.',
    )
    is_enabled = models.BooleanField(default=True)
    remind_every_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="While an incident stays open and unacknowledged, remind this channel every "
        "N minutes. Empty: no reminders.",
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="An escalation channel: notified only once an incident has been open and "
        "unacknowledged for N minutes. Empty: notified when the incident opens.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NotificationChannelQuerySet.as_manager()

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
    """One notification intent, the outbox row: written in the transaction of what it
    announces, then sent by a task. Most are about an incident, and the unique key makes each
    (incident, channel, event, sequence) deliver once. A monitor's certificate.expiring has
    no incident: it names the monitor and the certificate, and delivers once per
    (monitor, channel, event, certificate)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        # Written during a maintenance window: released when it ends (next_attempt_at) if the
        # outage still matters then, otherwise suppressed.
        HELD = "held", "Held for maintenance"
        SUPPRESSED = "suppressed", "Suppressed (over during maintenance)"

    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Set instead of `incident` for an event of the monitor itself (certificate.expiring).
    monitor = models.ForeignKey(
        "monitors.Monitor", null=True, blank=True, on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # certificate.expiring: the certificate announced (SHA-256 of its DER, hex) and its expiry,
    # as the check saw them: the monitor's own fields move on when the certificate is renewed.
    certificate_fingerprint = models.CharField(max_length=64, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    # 0 for every event but reminders, which count 1, 2, 3... so each is delivered once.
    sequence = models.PositiveIntegerField(default=0)
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
                fields=["incident", "channel", "event", "sequence"],
                name="one_delivery_per_event",
            ),
            # NULL incidents never collide above, so a monitor's event has a key of its own:
            # a warning written twice (two workers, a redelivered check) is stored once.
            models.UniqueConstraint(
                fields=["monitor", "channel", "event", "certificate_fingerprint"],
                condition=models.Q(incident__isnull=True),
                name="one_monitor_delivery_per_event",
            ),
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False, monitor__isnull=True)
                | models.Q(incident__isnull=True, monitor__isnull=False),
                name="delivery_of_an_incident_or_a_monitor",
            ),
        ]
        indexes = [
            # The sweep only ever looks at undelivered rows; keep that index small.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending", "held"]),
                name="delivery_undelivered_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel} ({self.status})"

    def is_moot(self) -> bool:
        """A reminder or escalation about an incident that was acknowledged or resolved since
        it was written: sending it would wake someone for nothing."""
        if self.event not in (Event.INCIDENT_REMINDER, Event.INCIDENT_ESCALATED):
            return False
        return not self.incident.is_open or self.incident.acknowledged_at is not None

    @property
    def idempotency_key(self) -> str:
        if self.incident_id is None:
            return (f"monitor:{self.monitor_id}:{self.channel_id}:{self.event}:"
                    f"{self.certificate_fingerprint[:16]}")
        key = f"{self.incident_id}:{self.channel_id}:{self.event}"
        return f"{key}:{self.sequence}" if self.sequence else key


class NotificationLog(models.Model):
    """Every attempt to deliver, successful or not. Never edited."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    # Both empty for a test message, which belongs to no incident and is sent once.
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="logs"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_logs",
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


class Device(models.Model):
    """An app install that receives push notifications through APNs."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        IPADOS = "ipados", "iPadOS"
        MACOS = "macos", "macOS"
        WATCHOS = "watchos", "watchOS"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    token = models.CharField(
        max_length=200,
        validators=[validate_apns_token],
        help_text="The APNs device token, in hexadecimal.",
    )
    name = models.CharField(max_length=100, blank=True, help_text="e.g. Alice's iPhone")
    platform = models.CharField(max_length=10, choices=Platform.choices, default=Platform.IOS)
    # Cleared when APNs answers that the token is no longer valid (the app was removed).
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "token"], name="one_device_per_owner_token")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_platform_display()} device {self.token[:8]}"

    @classmethod
    def register(cls, owner, token: str, **details: str) -> tuple["Device", bool]:
        """Add the device, or refresh it if this owner registered the token before (apps
        register on every launch). `details` (name, platform) replace the saved ones; those
        left out are kept. Returns (device, created)."""
        token = token.lower()
        with transaction.atomic():
            # A token addresses one app install: once another account signs in there, the
            # previous one must stop pushing its alerts to that screen.
            cls.objects.filter(token=token).exclude(owner=owner).delete()
            return cls.objects.update_or_create(
                owner=owner,
                token=token,
                defaults={**details, "is_active": True, "last_seen_at": timezone.now()},
            )
