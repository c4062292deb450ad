"""The notification channel forms of the web frontend: one per kind, with the API's rules.

Each kind's fields are the config keys the API accepts for it (CONFIG_KEYS, held to that by a
test), and notifications.redaction says which of them are secret. NotificationChannel.clean()
checks the values by asking the kind's transport, exactly as the API's serializer does.
Secrets are write-only: the form never renders them, and one left empty on an edit keeps its
saved value.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from notifications.models import NotificationChannel
from notifications.redaction import SECRET_KEYS, redacted_config

Kind = NotificationChannel.Kind


@dataclass(frozen=True)
class ConfigField:
    label: str
    help_text: str
    placeholder: str = ""
    # Typed into a password box: a token or signing secret. A secret URL stays visible while
    # it is typed (and after a failed submit) but, like every secret, is never shown once saved.
    masked: bool = False


CONFIG_FIELDS: dict[str, dict[str, ConfigField]] = {
    Kind.WEBHOOK: {
        "url": ConfigField(
            "URL", "Each alert is POSTed here as JSON.", placeholder="https://example.com/hooks/uptime"
        ),
        "secret": ConfigField(
            "Signing secret",
            "Optional, 16 to 200 characters. Signs every request: X-Uptime-Signature is "
            'sha256=HMAC-SHA256(secret, "<X-Uptime-Timestamp>.<raw body>") in hex.',
            masked=True,
        ),
    },
    Kind.EMAIL: {
        "to": ConfigField("Send to", "One email address.", placeholder="ops@example.com"),
    },
    Kind.SLACK: {
        "webhook_url": ConfigField(
            "Incoming webhook URL",
            "From Slack's Incoming Webhooks app; it starts with https://hooks.slack.com/.",
            placeholder="https://hooks.slack.com/services/…",
        ),
    },
    Kind.DISCORD: {
        "webhook_url": ConfigField(
            "Webhook URL",
            "Channel settings › Integrations › Webhooks › Copy webhook URL.",
            placeholder="https://discord.com/api/webhooks/…",
        ),
    },
    Kind.TELEGRAM: {
        "bot_token": ConfigField(
            "Bot token", "The token BotFather gave the bot, e.g. 123456789:AAH…", masked=True
        ),
        "chat_id": ConfigField(
            "Chat",
            "The chat's numeric id (e.g. -1001234567890) or a public channel's @username. "
            "Add the bot to the chat first.",
        ),
    },
    # Apple Push has no settings: it pushes to every device the owner's app registered.
    Kind.APNS: {},
}


class ChannelForm(forms.ModelForm):
    class Meta:
        model = NotificationChannel
        fields = ["name", "is_enabled", "remind_every_minutes", "escalate_after_minutes"]
        labels = {
            "is_enabled": "Enabled",
            "remind_every_minutes": "Remind every (minutes)",
            "escalate_after_minutes": "Escalate after (minutes)",
        }

    def __init__(self, *args, owner, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        channel = self.instance
        if channel.pk is None:
            channel.owner = owner
            channel.kind = kind
        self.kind = channel.kind
        secrets = SECRET_KEYS.get(self.kind, frozenset())
        saved = channel.config if channel.pk and isinstance(channel.config, dict) else {}
        shown = redacted_config(channel) if channel.pk else {}
        for key, spec in CONFIG_FIELDS[self.kind].items():
            attrs = {"autocomplete": "off", "spellcheck": "false"}
            if spec.placeholder:
                attrs["placeholder"] = spec.placeholder
            help_text = spec.help_text
            if spec.masked:
                # new-password: a browser must not offer to fill in the login password here.
                widget = forms.PasswordInput(
                    attrs={**attrs, "autocomplete": "new-password"}, render_value=False
                )
            else:
                widget = forms.TextInput(attrs=attrs)
            if key in secrets and key in saved:
                # Never given as an initial value, not even masked: the page would hold it.
                hint = shown.get(key) if isinstance(shown.get(key), str) else ""
                saved_as = f"Saved ({hint})" if hint else "Saved"
                help_text = f"{saved_as}: leave empty to keep it. {help_text}"
            self.fields[key] = forms.CharField(
                label=spec.label,
                help_text=help_text,
                required=False,
                strip=True,
                widget=widget,
            )
            if key not in secrets and key in saved:
                self.initial[key] = str(saved[key])
        if self.kind == Kind.WEBHOOK and saved.get("secret"):
            self.fields["clear_secret"] = forms.BooleanField(
                required=False, label="Stop signing requests (remove the secret)"
            )

    @property
    def config_field_names(self) -> list[str]:
        return list(CONFIG_FIELDS[self.kind])

    def clean(self) -> dict:
        cleaned = super().clean()
        channel = self.instance
        secrets = SECRET_KEYS.get(self.kind, frozenset())
        saved = channel.config if channel.pk and isinstance(channel.config, dict) else {}
        config = {}
        for key in CONFIG_FIELDS[self.kind]:
            value = cleaned.get(key, "")
            if value:
                config[key] = value
            elif key in secrets and key in saved:
                config[key] = saved[key]
        if cleaned.get("clear_secret"):
            config.pop("secret", None)
        # Model.clean(), which the ModelForm runs next, applies the transport's rules to it
        # (a missing key included), as the API's serializer does.
        channel.config = config
        return cleaned

    def add_error(self, field, error) -> None:
        """Model.clean() reports the transport's rules under "config", a field this form does
        not have: each message goes to the field of the key it names ("url: ...", 'needs a
        "url"'), without the key's name, or above the form if it names none."""
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            errors = dict(error.error_dict)
            for message in ValidationError(errors.pop("config", [])).messages:
                self.add_config_error(message)
            if not errors:
                return
            error = ValidationError(errors)
        super().add_error(field, error)

    def add_config_error(self, message: str) -> None:
        for key in CONFIG_FIELDS[self.kind]:
            if message.startswith(f"{key}:"):
                text = message[len(key) + 1:].strip()
                super().add_error(key, text[:1].upper() + text[1:])
                return
            if f'"{key}"' in message:
                super().add_error(key, message)
                return
        super().add_error(NON_FIELD_ERRORS, message)
