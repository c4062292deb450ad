from django.contrib import admin

from .models import Delivery, NotificationChannel, NotificationLog


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "is_enabled", "created_at")
    list_filter = ("kind", "is_enabled")
    search_fields = ("name",)

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Delivery history is evidence of who was told what and when: never edited or deleted
    by hand (it goes with its incident or channel)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("incident", "channel", "event", "status", "attempts", "created_at",
                    "delivered_at", "last_error")
    list_filter = ("status", "event", "channel__kind")
    search_fields = ("incident__monitor__name", "channel__name", "last_error")
    list_select_related = ("incident__monitor", "channel")


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "channel", "event", "attempt", "outcome", "error")
    list_filter = (
        "outcome",
        "event",
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("incident__monitor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("incident__monitor__name", "channel__name", "error")
    list_select_related = ("incident__monitor", "channel")
    date_hierarchy = "created_at"
