"""Maintenance windows from the monitor page: add one (one-off or weekly), end the one in
effect now, delete one. Windows are found through the monitors the user may see
(views.visible_monitors), so another user's window is not found (404).

"End now" on a one-off window moves its end to now: it stays in the list as a record. A weekly
window cannot skip a single occurrence (the model has nothing to say so), so ending it now
deletes it, and the page says so on the button.
Deliveries that a window held back go out on the next follow-up sweep (UPTIME_FOLLOW_UP_SECONDS)
if the outage is still going, as when a window ends on time.
"""

from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView

from monitors.models import MaintenanceWindow

from .maintenance_forms import MaintenanceWindowForm
from .views import visible_monitors


def visible_windows(user) -> QuerySet:
    return MaintenanceWindow.objects.filter(monitor__in=visible_monitors(user))


class MaintenanceWindowCreateView(LoginRequiredMixin, CreateView):
    model = MaintenanceWindow
    form_class = MaintenanceWindowForm
    template_name = "web/maintenance_form.html"
    extra_context = {"nav": "monitors"}

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.monitor = get_object_or_404(visible_monitors(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "monitor": self.monitor}

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            monitor=self.monitor, timezones=sorted(available_timezones()), **kwargs
        )

    def form_valid(self, form):
        response = super().form_valid(form)
        window = self.object
        until = window.end_of_occurrence_at(timezone.now())
        status = f" It is in effect now, until {until:%Y-%m-%d %H:%M %Z}." if until else ""
        messages.success(self.request, f"Added a maintenance window: {window}.{status}")
        return response

    def get_success_url(self) -> str:
        return reverse("web:monitor", args=[self.monitor.pk])


class MaintenanceActionView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int, window_pk: int):
        window = get_object_or_404(visible_windows(request.user), pk=window_pk, monitor_id=pk)
        self.act(window)
        return redirect(reverse("web:monitor", args=[pk]) + "#maintenance")

    def act(self, window: MaintenanceWindow) -> None:
        raise NotImplementedError


class EndMaintenanceView(MaintenanceActionView):
    def act(self, window: MaintenanceWindow) -> None:
        now = timezone.now()
        if window.end_of_occurrence_at(now) is None:
            messages.error(self.request, "That maintenance window is not in effect now.")
        elif window.kind == MaintenanceWindow.Kind.WEEKLY:
            window.delete()
            messages.success(self.request, f"Ended and deleted the {window} window.")
        else:
            MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=now)
            messages.success(self.request, "Ended the maintenance window now.")


class DeleteMaintenanceView(MaintenanceActionView):
    def act(self, window: MaintenanceWindow) -> None:
        window.delete()
        messages.success(self.request, f"Deleted the maintenance window ({window}).")

