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

from .. import kinds, regions, urlsecrets
from ..kinds import options as kind_options
from ..models import CheckResult, MaintenanceWindow, Monitor, Ping, RegionState
from ..quota import ensure_monitor_quota
from ..validators import (
    MAX_HEADER_VALUE_LENGTH,
    MAX_REGIONS,
    validate_regions,
    validate_request_headers,
    validate_status_codes,
)
from .schema import one_schema_per_kind


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


class RegionStateSerializer(serializers.ModelSerializer):
    stale = serializers.SerializerMethodField(
        help_text="No result from this region's workers for 3 intervals: it counts neither "
        "for up nor for down until it reports again.")

    class Meta:
        model = RegionState
        fields = ["region", "status", "stale", "consecutive_failures", "last_checked_at",
                  "last_response_ms", "last_outcome", "last_error", "failing_since",
                  "crossed_threshold_at"]
        read_only_fields = fields

    def get_stale(self, state: RegionState) -> bool:
        return state.is_stale()


@one_schema_per_kind
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
    monitoring_gap_since = serializers.SerializerMethodField(
        help_text="Set while this monitor is not being checked on time (our side's trouble: "
        "workers, beat or the queue), from when its check was due; null otherwise. It never "
        "changes status."
    )
    ping_url = serializers.CharField(
        read_only=True,
        help_text="heartbeat: GET, HEAD or POST here when the job succeeds (/start, /fail and "
        "/<exit-code> too). No auth: the URL is the secret. Empty for other kinds.",
    )
    badge_url = serializers.CharField(
        read_only=True,
        help_text="The monitor's public status badge (SVG: up, down, degraded, paused, "
        "pending or unknown), for a README: no login, the URL is the secret, and the badge "
        "shows the status alone. Replace status.svg with uptime-24h.svg, uptime-7d.svg, "
        "uptime-30d.svg or response.svg for the other badges; ?label= changes the label.",
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=MAX_REGIONS,
        validators=[validate_regions],
        help_text="Check from each of these regions (the queue checks.<region> of the workers "
        "started with UPTIME_REGION=<region>; GET /api/v1/regions/ lists the served ones), "
        "e.g. [\"us\", \"in\"]. Empty: the default checks queue, one check per interval.")
    unserved_regions = serializers.SerializerMethodField(
        help_text="Those of `regions` that no checks worker was heard from for in the last "
        "45 s: allowed, but their checks wait in their queue until a worker starts, and the "
        "region goes stale meanwhile.")
    region_states = RegionStateSerializer(
        many=True, read_only=True,
        help_text="A monitor with regions: each region's own state. The monitor's status is "
        "derived from them: down when `quorum` regions are failing, degraded when fewer are.")
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
            "dns_expected", "dns_resolver", "tls_warn_days", "grace_seconds", "ping_url",
            "badge_url",
            "timeout_seconds", "interval_seconds", "failure_threshold", "regions", "quorum",
            "unserved_regions", "region_states", "channels",
            "is_paused", "status", "last_checked_at", "last_response_ms",
            "consecutive_failures", "last_ping_at", "certificate_expires_at",
            "monitoring_gap_since", "created_at", "updated_at",
        ]
        read_only_fields = [
            "status", "last_checked_at", "last_response_ms", "consecutive_failures",
            "last_ping_at", "certificate_expires_at", "created_at", "updated_at",
        ]
        extra_kwargs = {
            "kind": {"help_text": "What is checked: http (the default), tcp, dns, tls, "
                     "postgres, redis or heartbeat (a job pings ping_url; failure_threshold "
                     "defaults to 1 for it). Kinds not available on this server are refused."},
            "url": {"help_text": "The target, in its kind's form: http(s)://… for http "
                    "(see the README's table of check kinds); none for heartbeat. A password "
                    "in it is write-only: responses show *** in its place, and *** sent back "
                    "keeps the saved one."},
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
                "it stays down until a check passes; degraded: up, but a \"degrade\" "
                "assertion failed or the certificate expires within tls_warn_days (never an "
                "incident); paused."
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
        # Every kind but heartbeat has a target, so a new monitor must name one, unless it
        # says it is a heartbeat.
        data = getattr(self, "initial_data", None)
        sent_kind = data.get("kind") if isinstance(data, dict) else None
        if self.instance is None and sent_kind != Monitor.Kind.HEARTBEAT:
            fields["url"].required = True
        return fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_monitoring_gap_since(self, monitor: Monitor) -> datetime | None:
        # Lists annotate it (MonitorViewSet.get_queryset); a single monitor asks.
        if hasattr(monitor, "open_gap_since"):
            return monitor.open_gap_since
        return (monitor.gaps.filter(ended_at__isnull=True)
                .values_list("started_at", flat=True).first())

    def get_unserved_regions(self, monitor: Monitor) -> list[str]:
        if not monitor.regions:
            return []
        # One look at the workers' announcements per response, however many monitors it has.
        if "served_regions" not in self.context:
            self.context["served_regions"] = regions.served_region_names()
        served = self.context["served_regions"]
        return [] if served is None else [name for name in monitor.regions if name not in served]

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
        if self.instance is None and "failure_threshold" not in attrs:
            # The kind's own default (1 for a heartbeat), as the web form fills it in.
            attrs["failure_threshold"] = kind_options.default_failure_threshold(
                attrs.get("kind", Monitor.Kind.HTTP),
                Monitor._meta.get_field("failure_threshold").default,
            )
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


class PingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ping
        fields = [
            "id", "received_at", "kind", "exit_status", "method", "remote_addr", "user_agent",
            "body",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "success (the ping URL, or exit code 0), start, or fail "
                     "(/fail, or a non-zero exit code)."},
            "exit_status": {"help_text": "The exit code of /<exit-code> pings; null otherwise."},
            "body": {"help_text": "The first 10 KB of a POST's body, as UTF-8."},
        }


class CheckFilterSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601, e.g. 2025-01-31T00:00:00Z: checks at or after."
    )
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601: checks at or before."
    )
    region = serializers.SlugField(
        required=False, max_length=40,
        help_text="Only the checks made from this region (a monitor with regions).")

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
        if "region" in self.validated_data:
            checks = checks.filter(region=self.validated_data["region"])
        return checks


class UptimeFilterSerializer(serializers.Serializer):
    region = serializers.SlugField(
        required=False, max_length=40,
        help_text="The figures of this region's checks only; without it, of all regions'.")


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
    region = serializers.CharField(allow_null=True)
    last_24_hours = WindowStatsSerializer()
    last_7_days = WindowStatsSerializer()
    last_30_days = WindowStatsSerializer()
    last_90_days = WindowStatsSerializer()
    last_365_days = WindowStatsSerializer()


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
