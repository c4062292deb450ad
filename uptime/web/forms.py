"""The monitor form of the web frontend. The model's validators and clean() give the messages;
the fields here only turn friendlier text (\"200, 204\", one header per line) into the values
the model validates."""

import re

from django import forms
from django.core.exceptions import ValidationError

from monitors import kinds
from monitors.models import Monitor
from monitors.urlsecrets import has_masked_password, keep_saved_password
from notifications.models import NotificationChannel


class StatusCodesField(forms.CharField):
    """\"200, 204\" in the form, [200, 204] on the model."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(code) for code in value)
        return value

    def to_python(self, value) -> list[int]:
        text = super().to_python(value)
        parts = [part for part in re.split(r"[\s,]+", text) if part]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValidationError("Give HTTP status codes separated by commas, e.g. 200, 204.")
        return [int(part) for part in parts]


class HeaderLinesField(forms.CharField):
    """One \"Name: value\" per line in the form, a dict on the model."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def to_python(self, value) -> dict[str, str] | None:
        text = super().to_python(value)
        if not text.strip():
            return None
        headers = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            name, colon, header_value = line.partition(":")
            if not colon:
                raise ValidationError(
                    "Write one header per line as Name: value (%(line)s has no colon).",
                    params={"line": line.strip()[:40]},
                )
            headers[name.strip()] = header_value.strip()
        return headers


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, channel: NotificationChannel) -> str:
        label = f"{channel.name} ({channel.get_kind_display()})"
        return label if channel.is_enabled else f"{label}, disabled"


class MonitorForm(forms.ModelForm):
    expected_status_codes = StatusCodesField(
        required=False,
        label="Expected status codes",
        help_text="Separated by commas, e.g. 200, 204. Empty: any 2xx status is up.",
    )
    # Header values are often API keys: like the API, the form never shows them back. Leaving
    # the field empty keeps the monitor's headers; "clear" removes them.
    request_headers = HeaderLinesField(
        required=False,
        label="Request headers",
        help_text="One per line, e.g. X-Api-Key: abc123. Sent with every check.",
    )
    clear_request_headers = forms.BooleanField(required=False, label="Remove all headers")

    class Meta:
        model = Monitor
        fields = [
            "name", "kind", "url", "method", "expected_status_codes", "request_headers",
            "timeout_seconds", "interval_seconds", "failure_threshold", "region", "channels",
            "assertions", "dns_record_type", "dns_expected", "dns_resolver", "tls_warn_days",
        ]
        labels = {
            "url": "URL",
            "timeout_seconds": "Timeout (seconds)",
            "interval_seconds": "Check every (seconds)",
            "channels": "Notify",
        }
        widgets = {
            "url": forms.TextInput(attrs={
                "inputmode": "url",
                "autocomplete": "off",
                "placeholder": "https://api.example.com/health",
            }),
            "channels": forms.CheckboxSelectMultiple,
        }
        field_classes = {"channels": ChannelChoiceField}

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.owner = owner
        self.initial["request_headers"] = ""
        if self.instance.pk:
            self.initial["url"] = self.instance.shown_url
        channels = NotificationChannel.objects.filter(owner=owner)
        self.fields["channels"].queryset = channels
        # The model's labels read "Get", "Post"; people write methods in capitals.
        self.fields["method"].choices = [(method, method) for method in Monitor.Method.values]
        self.fields["kind"].choices = kinds.available_choices()
        # A form posted without the kind or the options of other kinds (a script, an older
        # page) keeps the model's defaults: Django leaves omitted fields at their default.
        for name in ("kind", "dns_record_type", "tls_warn_days"):
            self.fields[name].required = False
        # The rule of NotificationChannel.objects.recipients_for(), in words.
        if not channels.filter(is_enabled=True).exists():
            self.fields["channels"].help_text = (
                "No channel is enabled: an incident of this monitor would alert nobody."
            )
        else:
            self.fields["channels"].help_text = (
                "None ticked (or only disabled ones): every enabled channel is notified."
            )
        header_names = list(self.instance.request_headers or {}) if self.instance.pk else []
        if header_names:
            self.fields["request_headers"].help_text = (
                f"Set: {', '.join(header_names)}. Leave empty to keep them; anything you enter "
                "replaces them. One per line, e.g. X-Api-Key: abc123."
            )
        else:
            del self.fields["clear_request_headers"]

    def clean_url(self) -> str:
        # A password in the URL is write-only, as in the API: the form shows *** in its place
        # (see __init__), and *** sent back keeps the saved one.
        url = self.cleaned_data["url"]
        if not has_masked_password(url):
            return url
        if not self.instance.pk:
            raise ValidationError("Write the password itself: *** stands for a saved one.")
        return keep_saved_password(url, self.instance.url)

    def clean_request_headers(self) -> dict[str, str]:
        headers = self.cleaned_data["request_headers"]
        if headers is None:
            return dict(self.instance.request_headers or {}) if self.instance.pk else {}
        return headers

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_request_headers"):
            cleaned["request_headers"] = {}
        return cleaned
