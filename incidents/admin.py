from django.contrib import admin
from django.utils import timezone

from notifications.models import NotificationLog

from .models import Incident, IncidentEvent, IncidentUpdate, format_duration


class TimelineInline(admin.TabularInline):
    model = IncidentEvent
    fields = ("at", "kind", "message")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


class UpdatesInline(admin.StackedInline):
    model = IncidentUpdate
    fields = ("status", "message", "posted_at", "author")
    readonly_fields = ("posted_at", "author")
    extra = 1
    verbose_name_plural = "updates (notes for the people affected, shown on status pages)"


class NotificationLogInline(admin.TabularInline):
    model = NotificationLog
    fields = ("created_at", "channel", "event", "attempt", "outcome", "error", "response")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", "Open"),
            ("unacknowledged", "Open, not acknowledged"),
            ("acknowledged", "Acknowledged"),
            ("resolved", "Resolved"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "open":
                return queryset.open()
            case "unacknowledged":
                return queryset.open().filter(acknowledged_at__isnull=True)
            case "acknowledged":
                return queryset.filter(acknowledged_at__isnull=False)
            case "resolved":
                return queryset.resolved()
        return queryset


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "monitor", "state", "started_at", "opened_at", "resolved_at", "duration_display",
        "acknowledged_at", "cause",
    )
    list_filter = (StateFilter, ("monitor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("monitor__name", "monitor__url", "cause")
    date_hierarchy = "opened_at"
    list_select_related = ("monitor",)
    readonly_fields = (
        "monitor", "started_at", "opened_at", "resolved_at", "duration_display", "cause",
        "evidence", "opening_check",
        "acknowledged_at", "acknowledged_by",
    )
    inlines = [TimelineInline, UpdatesInline, NotificationLogInline]
    actions = ["acknowledge"]

    @admin.display(description="state")
    def state(self, incident: Incident) -> str:
        if not incident.is_open:
            return "resolved"
        return "acknowledged" if incident.acknowledged_at else "open"

    @admin.display(description="down for")
    def duration_display(self, incident: Incident) -> str:
        return format_duration(incident.duration)

    @admin.action(description="Acknowledge selected incidents")
    def acknowledge(self, request, queryset):
        now = timezone.now()
        done = sum(
            1 for incident in queryset.open() if incident.acknowledge(request.user, at=now)
        )
        self.message_user(request, f"Acknowledged {done} incident(s).")

    # Incidents come from checks and their timeline is history: they are read, acknowledged
    # (the action above) and deleted with their monitor, never written by hand. Their page
    # saves only the updates posted on it (the inline): every incident field is read-only.
    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Not obj.save(): it would write back the incident as this page loaded it, and undo
        # a resolution that a check made meanwhile.
        pass

    def save_formset(self, request, form, formset, change) -> None:
        for update in formset.save(commit=False):
            if update.author_id is None:
                update.author = request.user
            update.save()
        for update in formset.deleted_objects:
            update.delete()
