from django.contrib import admin
from django.utils import timezone

from notifications.models import NotificationLog

from .models import Incident, IncidentEvent


class TimelineInline(admin.TabularInline):
    model = IncidentEvent
    fields = ("at", "kind", "message")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


class NotificationLogInline(admin.TabularInline):
    model = NotificationLog
    fields = ("created_at", "channel", "event", "attempt", "outcome", "error", "response")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("monitor", "opened_at", "resolved_at", "duration_display", "acknowledged_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "monitor")
    search_fields = ("monitor__name", "cause")
    date_hierarchy = "opened_at"
    list_select_related = ("monitor",)
    readonly_fields = (
        "monitor", "opened_at", "resolved_at", "cause", "opening_check",
        "acknowledged_at", "acknowledged_by",
    )
    inlines = [TimelineInline, NotificationLogInline]
    actions = ["acknowledge"]

    @admin.display(description="duration")
    def duration_display(self, incident: Incident) -> str:
        from .models import format_duration

        return format_duration(incident.duration)

    @admin.action(description="Acknowledge selected incidents")
    def acknowledge(self, request, queryset):
        now = timezone.now()
        done = sum(1 for incident in queryset if incident.acknowledge(request.user, at=now))
        self.message_user(request, f"Acknowledged {done} incident(s).")

    # Incidents come from checks; the timeline is history.
    def has_add_permission(self, request):
        return False
