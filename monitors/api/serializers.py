import copy
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import NotificationChannel
from uptime.api.scoping import visible_to
from uptime.api.serializers import RejectUnknownFieldsMixin, run_model_clean

from .. import kinds, urlsecrets
from ..models import CheckResult, MaintenanceWindow, Monitor
from ..quota import ensure_monitor_quota
from ..validators import (
    MAX_HEADER_VALUE_LENGTH,
    validate_request_headers,
    validate_status_codes,
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 100, "maximum": 599},
        "maxItems": 50,
        "description": "Statuses that count as up, e.g. [200, 204]. Empty: any 2xx.",
    }
)
class StatusCodesField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "maxLength": MAX_HEADER_VALUE_LENGTH},
        "maxProperties": 30,
        "writeOnly": True,
        "description": "Extra request headers, e.g. {\"X-Api-Key\": \"...\"}. Write-only: "
        "responses list only their names (request_header_names). Omit to keep them.",
    }
)
class RequestHeadersField(serializers.JSONField):
    pass


class OwnersChannelField(serializers.PrimaryKeyRelatedField):
    """Only the monitor owner's channels can be chosen; any other id reads as nonexistent,
    exactly like an id that was never used."""

    def get_queryset(self):
        serializer = self.root
        if isinstance(serializer.instance, Monitor):
            owner = serializer.instance.owner
        else:
            owner = serializer.context["request"].user
        return NotificationChannel.objects.filter(owner=owner)


class MonitorSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    expected_status_codes = StatusCodesField(
        required=False, validators=[validate_status_codes]
    )
    request_headers = RequestHeadersField(
        required=False,
        write_only=True,
        validators=[validate_request_headers],
    )
    request_header_names = serializers.SerializerMethodField()
    channels = OwnersChannelField(
        many=True,
        required=False,
        queryset=NotificationChannel.objects.all(),
        help_text="Ids of your channels to notify. Empty: all of your enabled channels.",
    )

    class Meta:
        model = Monitor
        fields = [
            "id", "owner", "name", "kind", "url", "method", "expected_status_codes",
            "request_headers", "request_header_names", "assertions", "dns_record_type",
            "dns_expected", "dns_resolver", "tls_warn_days", "timeout_seconds",
            "interval_seconds", "failure_threshold", "region", "channels", "is_paused", "status",
            "last_checked_at", "last_response_ms", "consecutive_failures", "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status", "last_checked_at", "last_response_ms", "consecutive_failures",
            "created_at", "updated_at",
        ]
        extra_kwargs = {
            "kind": {"help_text": "What is checked: http (the default), tcp, dns, tls, "
                     "postgres or redis. Kinds not available on this server are refused."},
            "url": {"help_text": "The target, in its kind's form: http(s)://… for http "
                    "(see the README's table of check kinds). A password in it is write-only: "
                    "responses show *** in its place, and *** sent back keeps the saved one."},
            "interval_seconds": {
                "help_text": "Seconds between checks: at least UPTIME_MIN_INTERVAL_SECONDS "
                "(10 by default), at most 7 days."
            },
            "timeout_seconds": {
                "help_text": "Shorter than the interval; at most UPTIME_MAX_TIMEOUT_SECONDS "
                "(60 by default)."
            },
            "is_paused": {"help_text": "Setting it pauses or resumes, as the actions do."},
            "status": {
                "help_text": "unknown: not checked yet (or just resumed); up: the last check "
                "passed; pending: the last consecutive_failures checks failed, fewer than "
                "failure_threshold, so no incident yet (shown as \"Pending (2 of 3 "
                "failed)\"); down: the failures reached the threshold and an incident opened; "
                "it stays down until a check passes; paused."
            },
            "consecutive_failures": {"help_text": "Failed checks in a row, up to the last one."},
        }

    def get_fields(self) -> dict:
        fields = super().get_fields()
        # Publish the bounds that the model's validators enforce (they read these settings when
        # they run) in the schema only: a second validator would repeat their message.
        fields["interval_seconds"].min_value = settings.UPTIME_MIN_INTERVAL_SECONDS
        fields["timeout_seconds"].max_value = settings.UPTIME_MAX_TIMEOUT_SECONDS
        fields["kind"].choices = kinds.available_choices()
        return fields

    def get_request_header_names(self, monitor: Monitor) -> list[str]:
        return sorted(monitor.request_headers or {})

    def to_representation(self, monitor: Monitor) -> dict:
        data = super().to_representation(monitor)
        if data.get("url"):
            # A password in the URL is write-only, like request headers.
            data["url"] = urlsecrets.mask_password(data["url"])
        return data

    def validate_url(self, url: str) -> str:
        if urlsecrets.has_masked_password(url):
            if self.instance is None:
                raise serializers.ValidationError(
                    "*** stands for the saved password: send the password itself."
                )
            url = urlsecrets.keep_saved_password(url, self.instance.url)
        return url

    def validate(self, attrs: dict) -> dict:
        # The model's clean() holds the rules that span fields (timeout < interval); run it on
        # what the monitor would become, partial updates included.
        candidate = copy.copy(self.instance) if self.instance is not None else Monitor()
        for field, value in attrs.items():
            if field != "channels":
                setattr(candidate, field, value)
        run_model_clean(candidate)
        return attrs

    def create(self, validated_data: dict) -> Monitor:
        owner = self.context["request"].user
        channels = validated_data.pop("channels", [])
        with transaction.atomic():
            try:
                ensure_monitor_quota(owner)
            except DjangoValidationError as error:
                raise serializers.ValidationError(
                    {"non_field_errors": list(error.messages)}
                ) from error
            monitor = Monitor(owner=owner, **validated_data)
            monitor.save()
            monitor.channels.set(channels)
        return monitor

    def update(self, monitor: Monitor, validated_data: dict) -> Monitor:
        channels = validated_data.pop("channels", None)
        is_paused = validated_data.pop("is_paused", monitor.is_paused)
        for field, value in validated_data.items():
            setattr(monitor, field, value)
        with transaction.atomic():
            # pause() and resume() save the other changes too, in one save, exactly as the
            # admin actions and the API actions do.
            if is_paused and not monitor.is_paused:
                monitor.pause()
            elif monitor.is_paused and not is_paused:
                monitor.resume()
            else:
                monitor.save()
            if channels is not None:
                monitor.channels.set(channels)
        return monitor


class MonitorFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Monitor.Status.choices, required=False, help_text="Only monitors in this state."
    )

    def apply(self, monitors):
        if "status" in self.validated_data:
            monitors = monitors.filter(status=self.validated_data["status"])
        return monitors


class CheckResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckResult
        fields = ["id", "checked_at", "outcome", "status_code", "response_ms", "error", "region"]
        read_only_fields = fields


class CheckFilterSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601, e.g. 2025-01-31T00:00:00Z: checks at or after."
    )
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601: checks at or before."
    )

    def validate(self, attrs: dict) -> dict:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": ["Must not be before since."]})
        return attrs

    def apply(self, checks):
        if "since" in self.validated_data:
            checks = checks.filter(checked_at__gte=self.validated_data["since"])
        if "until" in self.validated_data:
            checks = checks.filter(checked_at__lte=self.validated_data["until"])
        return checks


class WindowStatsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    checks = serializers.IntegerField()
    up_checks = serializers.IntegerField()
    uptime_percent = serializers.FloatField(
        allow_null=True, help_text="Share of checks that were up; null without checks."
    )
    average_response_ms = serializers.FloatField(
        allow_null=True, help_text="Over every check that got a response, up or not."
    )
    p95_response_ms = serializers.IntegerField(
        allow_null=True, help_text="95% of the responses were at least this fast."
    )


class UptimeReportSerializer(serializers.Serializer):
    monitor = serializers.IntegerField()
    last_24_hours = WindowStatsSerializer()
    last_7_days = WindowStatsSerializer()
    last_30_days = WindowStatsSerializer()


class OwnersMonitorField(serializers.PrimaryKeyRelatedField):
    """Only the requester's monitors (all of them for staff); any other id reads as
    nonexistent, exactly like an id that was never used."""

    def get_queryset(self):
        return visible_to(Monitor.objects.all(), self.context["request"].user)


# OpenAPI's "time" format is RFC 3339's, which wants an offset ("02:00:00Z"); a weekly window's
# start is a wall-clock time in the window's own time zone, so it is documented as HH:MM[:SS].
@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "nullable": True,
     "example": "02:00"}
)
class WallClockTimeField(serializers.TimeField):
    pass


class MaintenanceWindowSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    monitor = OwnersMonitorField()
    start_time = WallClockTimeField(
        required=False, allow_null=True, format="%H:%M",
        help_text="Weekly: the local time it starts, in its time zone.",
    )
    in_effect_until = serializers.SerializerMethodField(
        help_text="When the occurrence in effect now ends; null when it is not in effect."
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id", "monitor", "kind", "note", "starts_at", "ends_at", "weekday", "start_time",
            "duration_minutes", "timezone", "in_effect_until",
        ]

    def get_in_effect_until(self, window: MaintenanceWindow) -> datetime | None:
        return window.end_of_occurrence_at(timezone.now())

    def validate(self, attrs: dict) -> dict:
        candidate = copy.copy(self.instance) if self.instance else MaintenanceWindow()
        for field, value in attrs.items():
            setattr(candidate, field, value)
        run_model_clean(candidate)
        return attrs
