from django import forms
from django.contrib import admin

from .models import Delivery, Device, NotificationChannel, NotificationLog
from .redaction import SECRET_KEYS, public_config, redacted_config, secret_config


class NotificationChannelForm(forms.ModelForm):
    """The config without its secrets: they are never sent to the browser. A secret key left
    out of the submitted config keeps its saved value (same kind only); one given replaces it."""

    class Meta:
        model = NotificationChannel
        fields = [
            "owner", "name", "kind", "config", "is_enabled", "remind_every_minutes",
            "escalate_after_minutes",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        saved = self.instance
        if saved.pk:
            self.initial["config"] = public_config(saved.kind, saved.config)
        secrets = sorted({key for keys in SECRET_KEYS.values() for key in keys})
        self.fields["config"].help_text = (
            'Webhook: {"url": "https://...", "secret": "..."}; email: {"to": "ops@example.com"}; '
            'Slack or Discord: {"webhook_url": "https://..."}; Telegram: {"bot_token": "...", '
            '"chat_id": "..."}; Apple Push: {}. Secrets (' + ", ".join(secrets) + ") are never "
            "shown here: leave them out to keep the saved ones."
        )

    def clean_config(self) -> dict:
        config = self.cleaned_data.get("config")
        if not isinstance(config, dict):
            raise forms.ValidationError("Give the config as a JSON object.")
        saved = self.instance
        if saved.pk and saved.kind == self.cleaned_data.get("kind"):
            config = {**secret_config(saved.kind, saved.config), **config}
        return config


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ("name", "kind", "owner", "is_enabled", "created_at")
    list_filter = ("kind", "is_enabled")
    search_fields = ("name",)
    readonly_fields = ("saved_config",)

    @admin.display(description="saved config (secrets redacted)")
    def saved_config(self, channel: NotificationChannel) -> dict:
        return redacted_config(channel) if channel.pk else {}

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Delivery history is evidence of who was told what and when: never edited or deleted
    by hand (it goes with its incident or channel)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    # A monitor's own event (certificate.expiring) has a monitor and no incident.
    list_display = ("incident", "monitor", "channel", "event", "status", "attempts",
                    "created_at", "delivered_at", "last_error")
    list_filter = ("status", "event", "channel__kind")
    search_fields = ("incident__monitor__name", "monitor__name", "channel__name", "last_error")
    list_select_related = ("incident__monitor", "monitor", "channel")


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "channel", "event", "attempt", "outcome", "error")
    list_filter = (
        "outcome",
        "event",
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("incident__monitor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("incident__monitor__name", "channel__name", "error")
    list_select_related = ("incident__monitor", "channel")
    date_hierarchy = "created_at"


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """App installs that get Apple Push alerts. The app registers them; an operator may switch
    one off or remove it. APNs deactivates dead tokens by itself."""

    list_display = ("__str__", "owner", "platform", "is_active", "last_seen_at")
    list_filter = ("platform", "is_active")
    search_fields = ("name", "owner__username", "owner__email")
    readonly_fields = ("token", "created_at", "last_seen_at")

    def has_add_permission(self, request):
        return False
