"""The maintenance window form of the monitor page. MaintenanceWindow.clean() gives the rules
and the messages, as it does for the API; this form only reads a one-off window's start and
end as wall-clock times in the time zone it names."""

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from monitors.models import MaintenanceWindow

LOCAL_DATETIME = "%Y-%m-%dT%H:%M"


class MaintenanceWindowForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        required=False,
        label="Starts",
        input_formats=[LOCAL_DATETIME, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME),
        help_text="One-off: when it starts, in the time zone below.",
    )
    ends_at = forms.DateTimeField(
        required=False,
        label="Ends",
        input_formats=[LOCAL_DATETIME, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME),
        help_text="One-off: when it ends.",
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "kind", "note", "starts_at", "ends_at", "weekday", "start_time", "duration_minutes",
            "timezone",
        ]
        labels = {
            "kind": "Kind",
            "weekday": "Every",
            "start_time": "At",
            "duration_minutes": "For (minutes)",
            "timezone": "Time zone",
        }
        help_texts = {
            "weekday": "Weekly: the day it starts.",
            "start_time": "Weekly: the local time it starts, e.g. 02:00.",
            "duration_minutes": "Weekly: how long it lasts (at most a week).",
            "timezone": "An IANA name such as Europe/Paris; the times above are read in it.",
            "note": "Optional, e.g. database upgrade.",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "timezone": forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
        }

    def __init__(self, *args, monitor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.monitor = monitor
        self.fields["weekday"].choices = [("", "—")] + [
            (day.value, day.label.title()) for day in MaintenanceWindow.Weekday
        ]
        self.fields["timezone"].initial = timezone.get_default_timezone_name()

    def clean(self) -> dict:
        cleaned = super().clean()
        name = cleaned.get("timezone")
        if name in available_timezones():
            # The browser sends wall-clock times; they mean that time in the chosen zone.
            zone = ZoneInfo(name)
            for field in ("starts_at", "ends_at"):
                if isinstance(cleaned.get(field), datetime):
                    wall_clock = timezone.make_naive(cleaned[field])
                    cleaned[field] = wall_clock.replace(tzinfo=zone)
        if cleaned.get("kind") == MaintenanceWindow.Kind.ONE_OFF:
            for field in ("weekday", "start_time", "duration_minutes"):
                cleaned[field] = None
        elif cleaned.get("kind") == MaintenanceWindow.Kind.WEEKLY:
            cleaned["starts_at"] = cleaned["ends_at"] = None
        return cleaned

    def add_error(self, field, error) -> None:
        # A field that could not be read already says why; MaintenanceWindow.clean(), which
        # saw it as empty, would add "Required" under it.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            fresh = {name: errors for name, errors in error.error_dict.items()
                     if name not in self.errors}
            if not fresh:
                return
            error = ValidationError(fresh)
        super().add_error(field, error)
