"""The admin's status pages (registered from monitors/admin.py): everyone's, for operators.
The same rules as the API and the web: a page lists its owner's monitors only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from .status_pages import StatusPage, StatusPageMonitor, normalize_domain, section_problem


class EntriesFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        page = self.instance
        for form in self.forms:
            monitor = (getattr(form, "cleaned_data", None) or {}).get("monitor")
            if (monitor is not None and not form.cleaned_data.get("DELETE")
                    and monitor.owner_id != page.owner_id):
                raise ValidationError(
                    f"{monitor} belongs to another user: a page shows its owner's monitors only.")


class EntriesInline(admin.TabularInline):
    model = StatusPageMonitor
    formset = EntriesFormSet
    fields = ("monitor", "position", "display_name")
    raw_id_fields = ("monitor",)
    extra = 0
    verbose_name_plural = "monitors on the page (in order of place)"


class StatusPageAdminForm(forms.ModelForm):
    class Meta:
        model = StatusPage
        fields = ["owner", "title", "slug", "description", "custom_domain", "show_errors",
                  "sections"]

    def clean_custom_domain(self) -> str:
        return normalize_domain(self.cleaned_data.get("custom_domain") or "")

    def clean_sections(self):
        sections = self.cleaned_data.get("sections")
        owner = self.cleaned_data.get("owner") or getattr(self.instance, "owner", None)
        monitor_ids = set(owner.monitors.values_list("pk", flat=True)) if owner else set()
        # Against all of the owner's monitors: those not on the page are dropped on save.
        if problem := section_problem(sections, monitor_ids):
            raise ValidationError(problem)
        return sections


@admin.register(StatusPage)
class StatusPageAdmin(admin.ModelAdmin):
    form = StatusPageAdminForm
    list_display = ("title", "public_link", "owner", "custom_domain", "show_errors",
                    "monitor_count", "updated_at")
    list_filter = ("show_errors",)
    search_fields = ("title", "slug", "custom_domain", "owner__email", "owner__username")
    list_select_related = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("owner", "title", "slug", "description", "custom_domain", "show_errors",
              "sections", "created_at", "updated_at")
    inlines = [EntriesInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(monitor_total=Count("entries"))

    @admin.display(description="page")
    def public_link(self, page: StatusPage) -> str:
        return format_html('<a href="{}">{}</a>', page.public_path, page.public_path)

    @admin.display(description="monitors", ordering="monitor_total")
    def monitor_count(self, page: StatusPage) -> int:
        return page.monitor_total

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Sections name monitors; keep only those the page still lists.
        page = form.instance
        page.sections = page.layout()[2]
        StatusPage.objects.filter(pk=page.pk).update(sections=page.sections)
