import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from uptime.api.serializers import RejectUnknownFieldsMixin, run_model_clean

from ..models import Device, NotificationChannel, NotificationLog
from ..redaction import redacted_config

Kind = NotificationChannel.Kind
# The keys each kind's config may have; the transports validate their values (Model.clean).
CONFIG_KEYS = {
    Kind.WEBHOOK: {"url", "secret"},
    Kind.EMAIL: {"to"},
    Kind.SLACK: {"webhook_url"},
    Kind.DISCORD: {"webhook_url"},
    Kind.TELEGRAM: {"bot_token", "chat_id"},
    Kind.APNS: set(),
}


def config_schema(title: str, properties: dict, required: tuple[str, ...] = ()) -> dict:
    schema = {
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:  # OpenAPI 3.0 wants at least one name in a "required" list, or no list
        schema["required"] = list(required)
    return schema


URL = {"type": "string", "format": "uri", "maxLength": 2000}
# Slack and Discord configs have the same shape: one schema, so that oneOf still matches
# exactly one alternative for every valid config.
CONFIG_SCHEMAS = [
    config_schema(
        "Webhook config",
        {
            "url": URL,
            "secret": {
                "type": "string",
                "minLength": 16,
                "maxLength": 200,
                "description": "Optional. Signs every request: X-Uptime-Signature is "
                'sha256=HMAC-SHA256(secret, "<X-Uptime-Timestamp>.<raw body>") in hex.',
            },
        },
        ("url",),
    ),
    config_schema(
        "Email config", {"to": {"type": "string", "format": "email", "maxLength": 254}}, ("to",)
    ),
    config_schema(
        "Slack or Discord config",
        {"webhook_url": {**URL, "description": "The incoming webhook's URL (https for Slack)."}},
        ("webhook_url",),
    ),
    config_schema(
        "Telegram config",
        {
            "bot_token": {
                "type": "string",
                "pattern": "^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$",
                "description": "The token BotFather gave the bot.",
            },
            "chat_id": {
                "oneOf": [
                    {"type": "integer"},
                    {"type": "string", "pattern": "^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$"},
                ],
                "description": "The chat's numeric id, or a public channel's @username.",
            },
        },
        ("bot_token", "chat_id"),
    ),
    config_schema("Apple Push config (no keys: it pushes to the owner's devices)", {}),
]
REDACTED_CONFIG_SCHEMAS = [
    config_schema(
        "Webhook", {"url": {"type": "string"}, "signed": {"type": "boolean"}}, ("url", "signed")
    ),
    config_schema("Email", {"to": {"type": "string"}}, ("to",)),
    config_schema("Slack or Discord", {"webhook_url": {"type": "string"}}, ("webhook_url",)),
    config_schema("Telegram", {"chat_id": {"type": "string"}}, ("chat_id",)),
    config_schema("Apple Push", {}),
]


@extend_schema_field(
    {
        "oneOf": CONFIG_SCHEMAS,
        "writeOnly": True,
        "description": 'webhook: {"url": "https://...", "secret": "..." (optional)}; '
        'email: {"to": "ops@example.com"}; slack: {"webhook_url": '
        '"https://hooks.slack.com/services/..."}; discord: {"webhook_url": '
        '"https://discord.com/api/webhooks/..."}; telegram: {"bot_token": "123456:ABC...", '
        '"chat_id": "-100123..." or "@channel"}; apns: {}. '
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
        help_text="Enough of the config to recognise the channel, never a secret: a webhook's "
        "scheme and host and whether it signs requests, an email channel's address, a Slack "
        "or Discord webhook's scheme and host, a Telegram chat id, nothing for Apple Push."
    )

    class Meta:
        model = NotificationChannel
        fields = [
            "id", "owner", "name", "kind", "config", "redacted_config", "is_enabled",
            "remind_every_minutes", "escalate_after_minutes", "created_at",
        ]
        read_only_fields = ["created_at"]

    @extend_schema_field({"oneOf": REDACTED_CONFIG_SCHEMAS})
    def get_redacted_config(self, channel: NotificationChannel) -> dict[str, str | bool]:
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
