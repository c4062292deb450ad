"""The status page form of the web frontend. The model gives the rules and the messages
(StatusPage.validate_layout, its validators and clean()), as it does for the API; this form
lays the owner's monitors out as rows (show it, its place, the name shown, its section) and
turns them into the page's ordered monitors, display names and sections."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from monitors.models import Monitor
from monitors.status_pages import (
    MAX_DISPLAY_NAME,
    MAX_SECTION_NAME,
    StatusPage,
    normalize_domain,
)


class StatusPageForm(forms.ModelForm):
    class Meta:
        model = StatusPage
        fields = ["title", "slug", "description", "custom_domain", "show_errors"]
        labels = {"slug": "Address", "show_errors": "Show incidents' errors"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.owner = owner
        self.fields["slug"].help_text = "The page is at /status/<address>/: lowercase letters, "\
            "digits and hyphens."
        shown, names, sections = self.instance.layout() if self.instance.pk else ([], {}, [])
        section_of = {i: section["name"] for section in sections for i in section["monitors"]}
        self.monitor_rows = []
        for monitor in Monitor.objects.filter(owner=self.instance.owner).order_by("name", "id"):
            key = f"m{monitor.pk}"
            self.fields[f"{key}_shown"] = forms.BooleanField(
                required=False, initial=monitor.pk in shown, label=f"Show {monitor.name}")
            self.fields[f"{key}_position"] = forms.IntegerField(
                required=False, min_value=1, max_value=10_000, label="Place",
                initial=shown.index(monitor.pk) + 1 if monitor.pk in shown else None)
            self.fields[f"{key}_name"] = forms.CharField(
                required=False, max_length=MAX_DISPLAY_NAME, label="Shown as",
                initial=names.get(monitor.pk, ""))
            self.fields[f"{key}_section"] = forms.CharField(
                required=False, max_length=MAX_SECTION_NAME, label="Section",
                initial=section_of.get(monitor.pk, ""))
            self.monitor_rows.append((monitor, *(self[f"{key}_{part}"] for part in (
                "shown", "position", "name", "section"))))

    def clean_custom_domain(self) -> str:
        return normalize_domain(self.cleaned_data.get("custom_domain") or "")

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = []
        for order, (monitor, *_fields) in enumerate(self.monitor_rows):
            key = f"m{monitor.pk}"
            if cleaned.get(f"{key}_shown"):
                # By the place given; the rest after those, in the list's (name) order.
                place = cleaned.get(f"{key}_position")
                chosen.append((place is None, place or 0, order, monitor.pk,
                               (cleaned.get(f"{key}_name") or "").strip(),
                               (cleaned.get(f"{key}_section") or "").strip()))
        chosen.sort()
        monitor_ids = [row[3] for row in chosen]
        names = {row[3]: row[4] for row in chosen if row[4]}
        sections: dict[str, list[int]] = {}
        for row in chosen:
            if row[5]:
                sections.setdefault(row[5], []).append(row[3])
        self.layout = (monitor_ids, names,
                       [{"name": name, "monitors": ids} for name, ids in sections.items()])
        try:
            self.instance.validate_layout(*self.layout)
        except ValidationError as error:
            for messages in error.message_dict.values():
                for message in messages:
                    self.add_error(None, message)
        return cleaned

    @transaction.atomic
    def save(self, commit: bool = True) -> StatusPage:
        page = super().save()
        page.set_layout(*self.layout)
        return page
