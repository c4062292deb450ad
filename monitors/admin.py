from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.timesince import timesince
from kombu.exceptions import OperationalError as BrokerError

from incidents.models import Incident

from . import kinds, regions
from .kinds import options as kind_options
from .models import CheckResult, MaintenanceWindow, Monitor, MonitoringGap, Ping, RegionState
from .tasks import check_now


class NewestInline(admin.TabularInline):
    """A read-only inline of a monitor's newest NEWEST rows of `model`, by `newest_first`."""

    NEWEST = 20
    newest_first: tuple[str, ...] = ()
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # An inline cannot slice its queryset; limit it to the newest rows by id instead.
        monitor_id = request.resolver_match.kwargs.get("object_id")
        newest = (
            self.model.objects.filter(monitor_id=monitor_id)
            .order_by(*self.newest_first)
            .values_list("id", flat=True)[:self.NEWEST]
        )
        return queryset.filter(id__in=list(newest))


class RecentChecksInline(NewestInline):
    model = CheckResult
    fields = ("checked_at", "outcome", "status_code", "response_ms", "error", "region")
    readonly_fields = fields
    newest_first = ("-checked_at", "-id")
    verbose_name_plural = "recent checks (newest 20)"


class RecentPingsInline(NewestInline):
    model = Ping
    fields = ("received_at", "kind", "exit_status", "method", "remote_addr", "user_agent",
              "body")
    readonly_fields = fields
    newest_first = ("-received_at", "-id")
    verbose_name_plural = "recent pings (newest 20)"


class MaintenanceWindowsInline(admin.TabularInline):
    model = MaintenanceWindow
    fields = (
        "kind", "starts_at", "ends_at", "weekday", "start_time", "duration_minutes", "timezone",
        "note",
    )
    extra = 0
    verbose_name_plural = "maintenance windows (checks go on; notifications wait)"


class RegionStatesInline(admin.TabularInline):
    model = RegionState
    fields = ("region", "status", "stale", "consecutive_failures", "last_checked_at",
              "last_response_ms", "last_error", "failing_since", "crossed_threshold_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "regions (each checks on its own; the quorum decides the status)"

    @admin.display(boolean=True, description="stale (no result for 3 intervals)")
    def stale(self, state: RegionState) -> bool:
        return state.is_stale()


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
        for name in ("kind", "dns_record_type", "tls_warn_days", "grace_seconds"):
            self.fields[name].required = False

    # A JSON box left empty means "none", not a NULL the database refuses.
    EMPTY_JSON = {"regions": list, "assertions": list, "dns_expected": list,
                  "expected_status_codes": list, "request_headers": dict}

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, empty in self.EMPTY_JSON.items():
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = empty()
        if self.instance.pk is None and "failure_threshold" not in self.changed_data:
            # Left at the model's default: the kind's own default instead (1 for a heartbeat,
            # whose first missed deadline is the news), as in the API and the web form.
            cleaned["failure_threshold"] = kind_options.default_failure_threshold(
                cleaned.get("kind") or Monitor.Kind.HTTP, self.fields["failure_threshold"].initial
            )
        return cleaned


class MonitoringGapFilter(admin.SimpleListFilter):
    """Monitors not checked on time right now (monitors/gaps.py): trouble on our side."""

    title = "monitoring gap"
    parameter_name = "gap"

    def lookups(self, request, model_admin):
        return [("open", "Not checked on time now"), ("none", "Checked on time")]

    def queryset(self, request, queryset):
        open_gaps = MonitoringGap.objects.filter(ended_at__isnull=True).values("monitor_id")
        if self.value() == "open":
            return queryset.filter(pk__in=open_gaps)
        if self.value() == "none":
            return queryset.exclude(pk__in=open_gaps)
        return queryset


@admin.register(MonitoringGap)
class MonitoringGapAdmin(admin.ModelAdmin):
    """Read-only: gaps are found by the sweep and by the checks that end them."""

    list_display = ("monitor", "started_at", "ended_at", "duration_display",
                    "staff_notified_at")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    list_select_related = ("monitor",)
    search_fields = ("monitor__name",)
    date_hierarchy = "started_at"

    @admin.display(description="duration")
    def duration_display(self, gap: MonitoringGap) -> str:
        from incidents.models import format_duration

        return format_duration(gap.duration)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    form = MonitorAdminForm
    # The live cells first: a long URL must not push them out of a narrow window.
    list_display = (
        "name", "status_display", "last_check_display", "response_display",
        "failures_display", "url", "interval_seconds", "owner",
    )
    list_filter = ("status", MonitoringGapFilter, "kind", "is_paused")
    search_fields = ("name", "url")
    autocomplete_fields = ()
    readonly_fields = (
        "status_display", "last_check_display", "response_display", "failures_display",
        "periodic_task", "created_at", "updated_at",
    )
    heartbeat_readonly_fields = ("ping_url_display", "last_ping_at", "last_start_at")
    fieldsets = (
        (None, {"fields": ("owner", "name", "kind", "url", "method", "is_paused")}),
        ("Check", {"fields": (
            "expected_status_codes", "request_headers", "timeout_seconds", "interval_seconds",
            "failure_threshold", "regions", "quorum", "channels",
        )}),
        ("Options of some kinds", {"classes": ("collapse",), "fields": (
            "assertions", "dns_record_type", "dns_expected", "dns_resolver", "tls_warn_days",
            "grace_seconds",
        )}),
        ("Current state", {"fields": readonly_fields}),
    )
    heartbeat_fieldset = ("Heartbeat", {"fields": (
        "grace_seconds", "ping_url_display", "last_ping_at", "last_start_at",
    )})
    filter_horizontal = ("channels",)
    inlines = [MaintenanceWindowsInline, RegionStatesInline, RecentChecksInline, IncidentsInline]
    actions = ["pause_monitors", "resume_monitors", "check_monitors_now", "replace_badge_keys"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if warning := regions.unserved_warning(obj.regions):
            self.message_user(request, warning, messages.WARNING)

    class Media:
        # Opens /ws/status/ with the admin's session and keeps the cells below current.
        js = ("uptime/durations.js", "uptime/live.js")
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

    # A heartbeat's change page shows where its job reports and what it last reported; the
    # other kinds have no such fields.
    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.kind != Monitor.Kind.HEARTBEAT:
            return self.fieldsets
        options_name, options = self.fieldsets[2]
        other_options = tuple(name for name in options["fields"] if name != "grace_seconds")
        return (*self.fieldsets[:2], self.heartbeat_fieldset,
                (options_name, {**options, "fields": other_options}), *self.fieldsets[3:])

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.kind != Monitor.Kind.HEARTBEAT:
            return self.readonly_fields
        return (*self.readonly_fields, *self.heartbeat_readonly_fields)

    def get_inlines(self, request, obj):
        if obj is None or obj.kind != Monitor.Kind.HEARTBEAT:
            return self.inlines
        return [*self.inlines, RecentPingsInline]

    @admin.display(description="ping URL")
    def ping_url_display(self, monitor: Monitor) -> str:
        return format_html("<code>{}</code>", monitor.ping_url)

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

    @admin.action(description="Replace the badge links of selected monitors")
    def replace_badge_keys(self, request, queryset):
        monitors = list(queryset)
        for monitor in monitors:
            monitor.replace_badge_key()
        self.message_user(
            request, f"New badge links for {len(monitors)} monitor(s): the old ones no longer "
            "work.", messages.SUCCESS)


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


from . import status_page_admin  # noqa: E402, F401  (registers StatusPageAdmin)
