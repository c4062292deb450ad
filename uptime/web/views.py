"""Thin views over the models: every monitor and incident query starts from visible_monitors()
or visible_incidents(), so another user's rows are simply not found (404, never 403)."""

import math

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView
from kombu.exceptions import OperationalError as BrokerError

from incidents.models import Incident
from monitors import regions, stats, tasks
from monitors.models import Monitor, with_region_states
from monitors.outcomes import Outcome
from monitors.quota import ensure_monitor_quota
from uptime.api.scoping import visible_to
from uptime.api.throttles import ScopedThrottle
from uptime.badges import badge_links

from .forms import MonitorForm
from .history import CHART_RANGES, HEARTBEATS, last_checks, response_chart
from .search import DashboardSearchForm

RECENT_CHECKS = 20
RECENT_PINGS = 20


def crontab_schedule(interval_seconds: int) -> str | None:
    """A crontab schedule that runs a job every interval, if cron can say it evenly
    (every 5 minutes, every 2 hours, daily); None when it cannot."""
    minutes, seconds = divmod(interval_seconds, 60)
    if seconds:
        return None
    if minutes == 1:
        return "* * * * *"
    if minutes < 60 and 60 % minutes == 0:
        return f"*/{minutes} * * * *"
    hours, rest = divmod(minutes, 60)
    if rest:
        return None
    if hours == 1:
        return "0 * * * *"
    if hours < 24 and 24 % hours == 0:
        return f"0 */{hours} * * *"
    if hours == 24:
        return "0 0 * * *"
    return None


def visible_monitors(user) -> QuerySet:
    return visible_to(Monitor.objects.select_related("owner"), user)


def visible_incidents(user) -> QuerySet:
    return visible_to(Incident.objects.select_related("monitor"), user, "monitor__owner")


class VisibleMonitorMixin(LoginRequiredMixin):
    model = Monitor

    def get_queryset(self) -> QuerySet:
        return visible_monitors(self.request.user)


class LockedMonitorMixin(VisibleMonitorMixin):
    """For views that save the monitor: read it locked, in the transaction that saves it.

    Monitor.save() writes every column, the check state too. Holding the row lock (which a
    check also takes to record its result) from read to save keeps an edit from writing back
    a status that a check changed in between.
    """

    def get_queryset(self) -> QuerySet:
        monitors = super().get_queryset()
        return monitors.select_for_update() if self.request.method == "POST" else monitors

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)


def next_url(request, default: str) -> str:
    """The `next` page a button or link asked to go back to, if that is a page of this site."""
    candidate = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class ForgivingPagesMixin:
    """A page past the end (rows deleted since the link was made) shows the last page, and
    one that is not a number the first: an old link never answers 404."""

    def paginate_queryset(self, queryset, page_size: int):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


# The dashboard's state chips, in this order; "all" comes last.
STATUS_CHIPS = ["up", "degraded", "pending", "down", "unknown", "paused"]


class DashboardView(LoginRequiredMixin, ForgivingPagesMixin, ListView):
    """One page of monitors (in name order), and counts over all of them.

    At 10,000 monitors the unpaginated page took 26-30 s and weighed 33 MB; a page of 100
    costs the same whatever the total. ?q= searches names and URLs and ?status=down (the
    chips link there) narrows the list; the counts cover every monitor the search matches,
    whatever the state filter, so each chip says how many a click on it would show.
    """

    template_name = "web/dashboard.html"
    context_object_name = "monitors"
    extra_context = {"nav": "monitors", "empty_beats": range(HEARTBEATS)}
    paginate_by = 100

    def get(self, request, *args, **kwargs):
        self.search = DashboardSearchForm(request.GET)
        response = super().get(request, *args, **kwargs)
        if not self.search.is_valid():
            response.status_code = 400
        return response

    @property
    def status_filter(self) -> str:
        return self.search.cleaned_data.get("status", "") if self.search.is_valid() else ""

    @property
    def query(self) -> str:
        return self.search.cleaned_data.get("q", "") if self.search.is_valid() else ""

    def searched(self) -> QuerySet:
        monitors = visible_monitors(self.request.user)
        if not self.search.is_valid():
            return monitors.none()
        if self.query:
            monitors = monitors.filter(Q(name__icontains=self.query) | Q(url__icontains=self.query))
        return monitors

    def get_queryset(self) -> QuerySet:
        monitors = self.searched()
        return monitors.filter(status=self.status_filter) if self.status_filter else monitors

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        monitors = context["monitors"]
        with_region_states(monitors)
        beats = last_checks([monitor.pk for monitor in monitors])
        context["rows"] = [(monitor, beats[monitor.pk]) for monitor in monitors]
        counts = self.searched().order_by().aggregate(
            total=Count("pk"),
            **{status: Count("pk", filter=Q(status=status)) for status in Monitor.Status.values},
        )
        search_query = urlencode({"q": self.query}) + "&" if self.query else ""
        filters = {key: value for key, value in
                   (("q", self.query), ("status", self.status_filter)) if value}
        page = context["page_obj"]
        context.update(
            counts=counts,
            status_chips=[
                (status, Monitor.Status(status).label, counts[status])
                for status in STATUS_CHIPS if status in Monitor.Status.values
            ],
            open_incidents=visible_incidents(self.request.user).open().count(),
            search=self.search,
            query=self.query,
            status_filter=self.status_filter,
            search_query=search_query,
            filter_query=urlencode(filters) + "&" if filters else "",
            list_fragment_url=reverse("web:monitor-list-fragment")
            + "?" + urlencode({**filters, "page": page.number}),
            page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2),
            # New monitors are added to the list live only where they surely belong on it:
            # a page that shows every monitor. Elsewhere live.js offers a reload instead.
            adds_live_rows=not (context["is_paginated"] or self.status_filter or self.query),
        )
        return context


@method_decorator(never_cache, name="dispatch")
class MonitorListFragmentView(DashboardView):
    """The dashboard's list alone, for live.js to refetch after a reconnect."""

    template_name = "web/_monitor_list.html"


def monitor_incidents_context(monitor: Monitor) -> dict:
    return {
        "incidents": monitor.incidents.prefetch_related("events")[:10],
        # The acknowledge buttons of a refetched card go back to the monitor's page.
        "back_url": reverse("web:monitor", args=[monitor.pk]),
    }


class MonitorDetailView(VisibleMonitorMixin, DetailView):
    template_name = "web/monitor_detail.html"
    context_object_name = "monitor"
    extra_context = {"nav": "monitors"}

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        monitor = self.object
        context.update(
            checks=monitor.checks.all()[:RECENT_CHECKS],
            open_incident=monitor.incidents.open().first(),
            report=stats.uptime_report(monitor),
            chart=response_chart(monitor, range_key=self.request.GET.get("range")),
            chart_ranges=CHART_RANGES,
            outcome_labels=dict(Outcome.choices),
            maintenance_until=monitor.maintenance_until(),
            badges=badge_links(monitor),
            **monitor_incidents_context(monitor),
        )
        if monitor.kind == Monitor.Kind.HEARTBEAT:
            context.update(
                pings=monitor.pings.all()[:RECENT_PINGS],
                crontab_schedule=crontab_schedule(monitor.interval_seconds),
            )
        return context


@method_decorator(never_cache, name="dispatch")
class MonitorFragmentView(VisibleMonitorMixin, DetailView):
    """One card of a monitor's page, rendered alone, for live.js to swap in when an event
    changes what it shows (uptime/static/uptime/live.js, data-live-fragment)."""

    context_object_name = "monitor"


class MonitorStatsFragmentView(MonitorFragmentView):
    template_name = "web/_monitor_stats.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(report=stats.uptime_report(self.object), **kwargs)


class MonitorIncidentsFragmentView(MonitorFragmentView):
    template_name = "web/_monitor_incidents.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(**monitor_incidents_context(self.object), **kwargs)


class MonitorChartFragmentView(MonitorFragmentView):
    template_name = "web/_response_chart.html"

    def get_context_data(self, **kwargs) -> dict:
        chart = response_chart(self.object, range_key=self.request.GET.get("range"))
        return super().get_context_data(chart=chart, **kwargs)


class MonitorFormMixin:
    model = Monitor
    form_class = MonitorForm
    template_name = "web/monitor_form.html"
    extra_context = {"nav": "monitors"}

    def get_success_url(self) -> str:
        return reverse("web:monitor", args=[self.object.pk])


class MonitorCreateView(LoginRequiredMixin, MonitorFormMixin, CreateView):
    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "owner": self.request.user}

    def form_valid(self, form):
        with transaction.atomic():
            try:
                # The same per-user limit as the API, taken inside the creating transaction.
                ensure_monitor_quota(self.request.user)
            except ValidationError as error:
                form.add_error(None, error)
                return self.form_invalid(form)
            response = super().form_valid(form)
        if self.object.kind == Monitor.Kind.HEARTBEAT:
            messages.success(self.request, f"{self.object} is waiting for its first ping.")
        else:
            messages.success(self.request, f"{self.object} is being checked.")
        warn_of_unserved_regions(self.request, self.object)
        return response


class MonitorUpdateView(LockedMonitorMixin, MonitorFormMixin, UpdateView):
    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "owner": self.object.owner}

    def form_valid(self, form):
        messages.success(self.request, f"Saved {form.instance}.")
        response = super().form_valid(form)
        warn_of_unserved_regions(self.request, self.object)
        return response


def warn_of_unserved_regions(request, monitor: Monitor) -> None:
    if warning := regions.unserved_warning(monitor.regions):
        messages.warning(request, warning)


class MonitorDeleteView(VisibleMonitorMixin, DeleteView):
    template_name = "web/monitor_confirm_delete.html"
    context_object_name = "monitor"
    extra_context = {"nav": "monitors"}
    success_url = reverse_lazy("web:dashboard")

    def form_valid(self, form):
        messages.success(self.request, f"Deleted {self.object} and its history.")
        return super().form_valid(form)


class MonitorActionView(LockedMonitorMixin, View):
    """POST-only buttons; each acts on the monitor and goes back to the page it came from."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        monitor = get_object_or_404(self.get_queryset(), pk=pk)
        self.act(monitor)
        return redirect(next_url(request, reverse("web:monitor", args=[monitor.pk])))

    def act(self, monitor: Monitor) -> None:
        raise NotImplementedError


class PauseMonitorView(MonitorActionView):
    def act(self, monitor: Monitor) -> None:
        monitor.pause()
        messages.success(self.request, f"Paused {monitor}: no checks until you resume it.")


class ResumeMonitorView(MonitorActionView):
    def act(self, monitor: Monitor) -> None:
        monitor.resume()
        messages.success(self.request, f"Resumed {monitor}.")


class NewBadgeKeyView(MonitorActionView):
    def act(self, monitor: Monitor) -> None:
        monitor.replace_badge_key()
        messages.success(self.request, "New badge links: the old ones no longer work. "
                                       "Update the places that show them.")


class CheckNowView(MonitorActionView):
    # The API's check-now throttle, with the same history: a user gets one budget of manual
    # checks whether they press the button or call the API.
    throttle_scope = "check-now"

    def act(self, monitor: Monitor) -> None:
        if monitor.is_paused:
            messages.error(self.request, "Resume the monitor to check it.")
            return
        throttle = ScopedThrottle()
        if not throttle.allow_request(self.request, self):
            messages.error(
                self.request,
                f"Too many checks asked for; try again in {math.ceil(throttle.wait() or 1)} s.",
            )
            return
        try:
            tasks.check_now(monitor)
        except BrokerError:
            messages.error(self.request, "The check queue could not be reached; try again.")
            return
        messages.success(self.request, "A check is on its way; the result will appear here.")


class IncidentListView(LoginRequiredMixin, ForgivingPagesMixin, ListView):
    template_name = "web/incidents.html"
    context_object_name = "incidents"
    extra_context = {"nav": "incidents"}
    paginate_by = 25

    @property
    def state(self) -> str:
        return "open" if self.request.GET.get("state") == "open" else "all"

    def get_queryset(self) -> QuerySet:
        incidents = visible_incidents(self.request.user).prefetch_related("events")
        return incidents.open() if self.state == "open" else incidents

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(state=self.state, **kwargs)
        filters = {"state": "open"} if self.state == "open" else {}
        page = {"page": context["page_obj"].number}
        return {
            **context,
            "state_query": urlencode(filters) + "&" if filters else "",
            # The page this list is on, for the acknowledge buttons and the refetch.
            "back_url": reverse("web:incidents") + "?" + urlencode({**filters, **page}),
            "fragment_url": reverse("web:incident-list-fragment")
            + "?" + urlencode({**filters, **page}),
        }


@method_decorator(never_cache, name="dispatch")
class IncidentListFragmentView(IncidentListView):
    """The incident list alone, for live.js to refetch when an incident opens, is
    acknowledged or resolves."""

    template_name = "web/_incident_list.html"


class AcknowledgeIncidentView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        incident = get_object_or_404(visible_incidents(request.user), pk=pk)
        if incident.acknowledge(request.user):
            messages.success(request, f"Acknowledged: {incident.monitor} is being looked at.")
        return redirect(next_url(request, reverse("web:incidents")))
