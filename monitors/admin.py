from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.timesince import timesince
from kombu.exceptions import OperationalError as BrokerError

from incidents.models import Incident

from . import kinds
from .models import CheckResult, MaintenanceWindow, Monitor
from .tasks import check_now


class RecentChecksInline(admin.TabularInline):
    model = CheckResult
    fields = ("checked_at", "outcome", "status_code", "response_ms", "error", "region")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "recent checks (newest 20)"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # An inline cannot slice its queryset; limit to the newest 20 by id instead.
        monitor_id = request.resolver_match.kwargs.get("object_id")
        newest = (
            CheckResult.objects.filter(monitor_id=monitor_id)
            .order_by("-checked_at", "-id")
            .values_list("id", flat=True)[:20]
        )
        return queryset.filter(id__in=list(newest))


class MaintenanceWindowsInline(admin.TabularInline):
    model = MaintenanceWindow
    fields = (
        "kind", "starts_at", "ends_at", "weekday", "start_time", "duration_minutes", "timezone",
        "note",
    )
    extra = 0
    verbose_name_plural = "maintenance windows (checks go on; notifications wait)"


class IncidentsInline(admin.TabularInline):
    model = Incident
    fields = ("started_at", "opened_at", "resolved_at", "cause", "acknowledged_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


class MonitorAdminForm(forms.ModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds.available_choices()
        # As in the web form: a post without the kind or other kinds' options keeps the
        # model's defaults.
        for name in ("kind", "dns_record_type", "tls_warn_days"):
            self.fields[name].required = False


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    form = MonitorAdminForm
    # The live cells first: a long URL must not push them out of a narrow window.
    list_display = (
        "name", "status_display", "last_check_display", "response_display",
        "failures_display", "url", "interval_seconds", "owner",
    )
    list_filter = ("status", "kind", "is_paused", "region")
    search_fields = ("name", "url")
    autocomplete_fields = ()
    readonly_fields = (
        "status_display", "last_check_display", "response_display", "failures_display",
        "periodic_task", "created_at", "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("owner", "name", "kind", "url", "method", "is_paused")}),
        ("Check", {"fields": (
            "expected_status_codes", "request_headers", "timeout_seconds", "interval_seconds",
            "failure_threshold", "region", "channels",
        )}),
        ("Options of some kinds", {"classes": ("collapse",), "fields": (
            "assertions", "dns_record_type", "dns_expected", "dns_resolver", "tls_warn_days",
        )}),
        ("Current state", {"fields": readonly_fields}),
    )
    filter_horizontal = ("channels",)
    inlines = [MaintenanceWindowsInline, RecentChecksInline, IncidentsInline]
    actions = ["pause_monitors", "resume_monitors", "check_monitors_now"]

    class Media:
        # Opens /ws/status/ with the admin's session and keeps the cells below current.
        js = ("uptime/live.js",)
        css = {"all": ("uptime/status.css",)}

    # The cells live.js updates: data-monitor-id and data-field are its hooks.
    @admin.display(description="status", ordering="status")
    def status_display(self, monitor: Monitor) -> str:
        return format_html(
            '<span class="status" data-monitor-id="{}" data-field="status" data-status="{}">'
            '<i class="dot"></i><span class="status-label">{}</span></span>',
            monitor.pk, monitor.status, monitor.status_label,
        )

    @admin.display(description="last check", ordering="last_checked_at")
    def last_check_display(self, monitor: Monitor) -> str:
        checked_at = monitor.last_checked_at
        return format_html(
            '<time data-relative data-monitor-id="{}" data-field="last_checked_at" '
            'datetime="{}">{}</time>',
            monitor.pk,
            checked_at.isoformat() if checked_at else "",
            f"{timesince(checked_at)} ago" if checked_at else "never",
        )

    @admin.display(description="response", ordering="last_response_ms")
    def response_display(self, monitor: Monitor) -> str:
        response_ms = monitor.last_response_ms
        return format_html(
            '<span data-monitor-id="{}" data-field="last_response_ms">{}</span>',
            monitor.pk,
            f"{response_ms} ms" if response_ms is not None else "—",
        )

    @admin.display(description="failures in a row", ordering="consecutive_failures")
    def failures_display(self, monitor: Monitor) -> str:
        return format_html(
            '<span data-monitor-id="{}" data-field="consecutive_failures">{}</span>',
            monitor.pk, monitor.consecutive_failures,
        )

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    # Locked from read to save, like every other writer: Monitor.save() writes the check state
    # too, and must not write back a status that a check changed in between.
    @admin.action(description="Pause selected monitors")
    @transaction.atomic
    def pause_monitors(self, request, queryset):
        for monitor in queryset.select_for_update():
            monitor.pause()
        self.message_user(request, f"Paused {queryset.count()} monitor(s).", messages.SUCCESS)

    @admin.action(description="Resume selected monitors")
    @transaction.atomic
    def resume_monitors(self, request, queryset):
        for monitor in queryset.select_for_update():
            monitor.resume()
        self.message_user(request, f"Resumed {queryset.count()} monitor(s).", messages.SUCCESS)

    @admin.action(description="Check selected monitors now")
    def check_monitors_now(self, request, queryset):
        active = [monitor for monitor in queryset if not monitor.is_paused]
        try:
            for monitor in active:
                check_now(monitor)
        except BrokerError:
            self.message_user(
                request, "The checks could not be queued: the broker is unreachable.",
                messages.ERROR,
            )
            return
        self.message_user(request, f"Queued a check for {len(active)} monitor(s).")


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ("monitor", "checked_at", "outcome", "status_code", "response_ms", "region")
    list_filter = ("outcome", "region")
    search_fields = ("monitor__name", "error")
    date_hierarchy = "checked_at"
    list_select_related = ("monitor",)

    # Check history is evidence: it is never edited or deleted by hand (deleting the monitor
    # removes its history with it).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
