import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from uptime.api.serializers import RejectUnknownFieldsMixin, run_model_clean

from ..models import Device, NotificationChannel, NotificationLog
from ..redaction import redacted_config

# The keys each kind's config may have; the transports validate their values (Model.clean).
CONFIG_KEYS = {
    NotificationChannel.Kind.WEBHOOK: {"url"},
    NotificationChannel.Kind.EMAIL: {"to"},
}
WEBHOOK_CONFIG = {
    "type": "object",
    "title": "Webhook config",
    "properties": {"url": {"type": "string", "format": "uri", "maxLength": 2000}},
    "required": ["url"],
    "additionalProperties": False,
}
EMAIL_CONFIG = {
    "type": "object",
    "title": "Email config",
    "properties": {"to": {"type": "string", "format": "email", "maxLength": 254}},
    "required": ["to"],
    "additionalProperties": False,
}


@extend_schema_field(
    {
        "oneOf": [WEBHOOK_CONFIG, EMAIL_CONFIG],
        "writeOnly": True,
        "description": 'webhook: {"url": "https://..."}; email: {"to": "ops@example.com"}. '
        "Write-only (it may hold a secret): responses show redacted_config. Required when "
        "creating a channel or changing its kind; omit it to keep the saved one.",
    }
)
class ChannelConfigField(serializers.JSONField):
    pass


class NotificationChannelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    config = ChannelConfigField(required=False, write_only=True)
    redacted_config = serializers.SerializerMethodField(
        help_text="Enough of the config to recognise the channel: a webhook's scheme and "
        "host only, an email channel's address."
    )

    class Meta:
        model = NotificationChannel
        fields = [
            "id", "owner", "name", "kind", "config", "redacted_config", "is_enabled", "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_redacted_config(self, channel: NotificationChannel) -> dict[str, str]:
        return redacted_config(channel)

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        kind_changed = self.instance is not None and kind != self.instance.kind
        if "config" not in attrs and (self.instance is None or kind_changed):
            raise serializers.ValidationError({"config": ["This field is required."]})
        if "config" in attrs:
            validate_config_keys(kind, attrs["config"])
        candidate = copy.copy(self.instance) if self.instance else NotificationChannel()
        for field, value in attrs.items():
            setattr(candidate, field, value)
        run_model_clean(candidate)
        return attrs

    def create(self, validated_data: dict) -> NotificationChannel:
        return super().create({**validated_data, "owner": self.context["request"].user})


def validate_config_keys(kind: str, config: object) -> None:
    if not isinstance(config, dict):
        raise serializers.ValidationError({"config": ["Give the config as a JSON object."]})
    unknown = sorted(set(config) - CONFIG_KEYS.get(kind, set(config)))
    if unknown:
        raise serializers.ValidationError(
            {"config": [f"Unknown key for a {kind} channel: {', '.join(unknown)}."]}
        )


class NotificationLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationLog
        fields = ["id", "channel", "event", "attempt", "outcome", "error", "response", "created_at"]
        read_only_fields = fields


class DeviceSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "token", "name", "platform", "is_active", "created_at", "last_seen_at"]
        read_only_fields = ["is_active", "created_at", "last_seen_at"]

    def validate_token(self, token: str) -> str:
        return token.lower()
