from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import Delivery

from ..models import Incident, IncidentEvent


class IncidentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "at", "message", "check_result"]
        read_only_fields = fields


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
            "duration_seconds", "cause", "acknowledged_at", "acknowledged_by",
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
    deliveries = DeliverySerializer(
        many=True,
        read_only=True,
        help_text="Its notifications, one per channel and event: delivered, failed after the "
        "last attempt, held for maintenance...",
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "events", "deliveries"]
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
