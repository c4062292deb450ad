from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import Delivery
from uptime.api.serializers import RejectUnknownFieldsMixin

from ..models import Incident, IncidentEvent, IncidentUpdate


class IncidentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "at", "message", "check_result"]
        read_only_fields = fields


class IncidentUpdateSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    author = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True, help_text="Who posted it: their "
        "email (never shown on status pages).")

    class Meta:
        model = IncidentUpdate
        fields = ["id", "incident", "status", "message", "posted_at", "author"]
        read_only_fields = ["id", "incident", "posted_at", "author"]
        extra_kwargs = {
            "status": {"help_text": "Where things stand: investigating, identified, monitoring "
                       "or resolved. A note only: the incident resolves when checks pass."},
            "message": {"help_text": "What the people affected should know; public on every "
                        "status page that shows the incident's monitor."},
        }

    def validate_message(self, message: str) -> str:
        if not message.strip():
            raise serializers.ValidationError("Write what people should know.")
        return message


class IncidentSerializer(serializers.ModelSerializer):
    monitor_name = serializers.CharField(source="monitor.name", read_only=True)
    state = serializers.SerializerMethodField()
    duration_seconds = serializers.SerializerMethodField()
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True, help_text="Their email."
    )

    class Meta:
        model = Incident
        fields = [
            "id", "monitor", "monitor_name", "state", "started_at", "opened_at", "resolved_at",
            "duration_seconds", "cause", "evidence", "acknowledged_at", "acknowledged_by",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "started_at": {
                "help_text": "When the outage began: the time of its first failed check."
            },
            "opened_at": {
                "help_text": "When the failure threshold was reached and the incident opened "
                "(the alerts went out)."
            },
            "evidence": {
                "help_text": "A monitor checked from several regions: each failing region "
                "that opened it, as {region, outcome, error, failing_since, "
                "crossed_threshold_at}. Empty otherwise."
            },
        }

    @extend_schema_field(serializers.ChoiceField(choices=["open", "resolved"]))
    def get_state(self, incident: Incident) -> str:
        return "open" if incident.is_open else "resolved"

    def get_duration_seconds(self, incident: Incident) -> int:
        """From started_at to resolved_at, or to now while the incident is open."""
        return int(incident.duration.total_seconds())


class DeliverySerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id", "channel", "channel_name", "event", "sequence", "status", "attempts",
            "last_error", "created_at", "delivered_at",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    events = IncidentEventSerializer(many=True, read_only=True, help_text="The timeline.")
    updates = IncidentUpdateSerializer(
        many=True, read_only=True, help_text="The notes posted on it, oldest first "
        "(POST incidents/{id}/updates/ adds one).")
    deliveries = DeliverySerializer(
        many=True,
        read_only=True,
        help_text="Its notifications, one per channel and event: delivered, failed after the "
        "last attempt, held for maintenance...",
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "events", "updates", "deliveries"]
        read_only_fields = fields


class IncidentFilterSerializer(serializers.Serializer):
    monitor = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this monitor's."
    )
    state = serializers.ChoiceField(
        choices=["open", "resolved"], required=False, help_text="Only open or resolved ones."
    )

    def apply(self, incidents):
        filters = self.validated_data
        if "monitor" in filters:
            incidents = incidents.filter(monitor_id=filters["monitor"])
        if filters.get("state") == "open":
            incidents = incidents.open()
        elif filters.get("state") == "resolved":
            incidents = incidents.resolved()
        return incidents
