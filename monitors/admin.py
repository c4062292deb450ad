from django.contrib import admin, messages

from incidents.models import Incident

from .models import CheckResult, Monitor
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


class IncidentsInline(admin.TabularInline):
    model = Incident
    fields = ("opened_at", "resolved_at", "cause", "acknowledged_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = (
        "name", "url", "status", "last_checked_at", "last_response_ms",
        "consecutive_failures", "interval_seconds", "is_paused", "owner",
    )
    list_filter = ("status", "is_paused", "region")
    search_fields = ("name", "url")
    autocomplete_fields = ()
    readonly_fields = (
        "status", "last_checked_at", "last_response_ms", "consecutive_failures",
        "periodic_task", "created_at", "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("owner", "name", "url", "method", "is_paused")}),
        ("Check", {"fields": (
            "expected_status_codes", "request_headers", "timeout_seconds", "interval_seconds",
            "failure_threshold", "region", "channels",
        )}),
        ("Current state", {"fields": readonly_fields}),
    )
    filter_horizontal = ("channels",)
    inlines = [RecentChecksInline, IncidentsInline]
    actions = ["pause_monitors", "resume_monitors", "check_monitors_now"]

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.action(description="Pause selected monitors")
    def pause_monitors(self, request, queryset):
        for monitor in queryset:
            monitor.pause()
        self.message_user(request, f"Paused {queryset.count()} monitor(s).", messages.SUCCESS)

    @admin.action(description="Resume selected monitors")
    def resume_monitors(self, request, queryset):
        for monitor in queryset:
            monitor.resume()
        self.message_user(request, f"Resumed {queryset.count()} monitor(s).", messages.SUCCESS)

    @admin.action(description="Check selected monitors now")
    def check_monitors_now(self, request, queryset):
        active = [monitor for monitor in queryset if not monitor.is_paused]
        for monitor in active:
            check_now(monitor)
        self.message_user(request, f"Queued a check for {len(active)} monitor(s).")


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ("monitor", "checked_at", "outcome", "status_code", "response_ms", "region")
    list_filter = ("outcome", "region")
    search_fields = ("monitor__name", "error")
    date_hierarchy = "checked_at"
    list_select_related = ("monitor",)

    # Check history is evidence: it is never edited by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
