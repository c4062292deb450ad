"""The monitor form of the web frontend. The model's validators and clean() give the messages;
the fields here only turn friendlier text (\"200, 204\", one header per line) into the values
the model validates."""

import re

from django import forms
from django.core.exceptions import ValidationError

from monitors import kinds
from monitors.kinds import options as kind_options
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


class LinesListField(forms.CharField):
    """One item per line in the form, a list on the model (empty lines dropped)."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class CommaListField(forms.CharField):
    """Names separated by commas (or spaces) in the form, a list on the model."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [part for part in text.replace(",", " ").split() if part]


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
    dns_expected = LinesListField(
        required=False,
        label="Expected answers",
        help_text="One per line, e.g. 203.0.113.7. Empty: any answer is up.",
    )

    regions = CommaListField(
        required=False,
        label="Regions",
        help_text="Check from each of these regions, e.g. us, in, eu (the workers started "
        "with UPTIME_REGION=<name>). Empty: the default checks queue.",
    )

    class Meta:
        model = Monitor
        fields = [
            "name", "kind", "url", "method", "expected_status_codes", "request_headers",
            "timeout_seconds", "interval_seconds", "failure_threshold", "regions", "quorum",
            "channels", "assertions", "dns_record_type", "dns_expected", "dns_resolver",
            "tls_warn_days", "grace_seconds",
        ]
        labels = {
            "url": "URL",
            "timeout_seconds": "Timeout (seconds)",
            "channels": "Notify",
            "dns_record_type": "Record type",
            "dns_resolver": "Resolver",
            "tls_warn_days": "Warn days before the certificate expires",
            "grace_seconds": "Grace (seconds)",
        }
        help_texts = {
            "assertions": "JSON, checked in order, e.g. [{\"type\": \"body_contains\", "
            "\"value\": \"ok\"}, {\"type\": \"json_path\", \"path\": \"$.status\", "
            "\"equals\": \"ok\"}]. Empty: the status code alone decides.",
            "dns_resolver": "ip[:port], e.g. 1.1.1.1. Empty: the system's resolver.",
            "tls_warn_days": "Within this many days the monitor is degraded and every channel "
            "is told once.",
            "grace_seconds": "How late a ping may be, after the interval, before it counts "
            "as missed.",
        }
        widgets = {
            "url": forms.TextInput(attrs={
                "inputmode": "url",
                "autocomplete": "off",
                "placeholder": "https://api.example.com/health",
            }),
            "channels": forms.CheckboxSelectMultiple,
            "assertions": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
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
        for name in ("kind", "dns_record_type", "tls_warn_days", "grace_seconds"):
            self.fields[name].required = False
        self._describe_url_for(self.chosen_kind)
        self.fields["interval_seconds"].label = self.interval_label(self.chosen_kind)
        if not self.instance.pk:
            # Empty means "the kind's default" (1 for a heartbeat, 3 otherwise), so a person
            # who picks heartbeat and leaves this alone gets 1 without any script.
            threshold = self.fields["failure_threshold"]
            threshold.required = False
            threshold.widget.attrs["placeholder"] = str(self.threshold_default)
            threshold.help_text = "Empty: 3 failed checks in a row, or 1 for a heartbeat."
            self.initial["failure_threshold"] = None
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

    @property
    def chosen_kind(self) -> str:
        """The kind the page is about: the one posted, else the monitor's."""
        if self.is_bound and self.data.get("kind") in kind_options.OPTIONS:
            return self.data["kind"]
        return self.instance.kind

    @property
    def threshold_default(self) -> int:
        model_default = Monitor._meta.get_field("failure_threshold").default
        return kind_options.default_failure_threshold(self.chosen_kind, model_default)

    @property
    def field_kinds(self) -> dict[str, str]:
        """field -> the kinds that use it, space-separated, for the page's data-kinds."""
        return {name: " ".join(kind_options.kinds_using(name)) for name in self.fields}

    def kind_ui(self) -> dict:
        """What monitor-form.js needs to follow the kind select: each kind's URL form and
        default failure threshold."""
        model_default = Monitor._meta.get_field("failure_threshold").default
        no_url = kind_options.UrlForm("", "")
        return {
            kind: {
                "url_placeholder": kind_options.URL_FORMS.get(kind, no_url).placeholder,
                "url_help": kind_options.URL_FORMS.get(kind, no_url).help_text,
                "failure_threshold": kind_options.default_failure_threshold(kind, model_default),
                "interval_label": self.interval_label(kind),
            }
            for kind in kind_options.OPTIONS
        }

    @staticmethod
    def interval_label(kind: str) -> str:
        # A heartbeat is not checked every interval: the job is expected to ping that often.
        if kind in kind_options.WITHOUT_URL:
            return "Expect a ping every (seconds)"
        return "Check every (seconds)"

    def _describe_url_for(self, kind: str) -> None:
        # A heartbeat has no URL form; its page still describes one, for a change of kind.
        url_form = kind_options.URL_FORMS.get(kind, kind_options.URL_FORMS["http"])
        self.fields["url"].widget.attrs["placeholder"] = url_form.placeholder
        self.fields["url"].help_text = url_form.help_text

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
        if "failure_threshold" in cleaned and cleaned["failure_threshold"] is None:
            cleaned["failure_threshold"] = self.threshold_default
        return cleaned
