"""Notification channels in the web frontend: list, add (a form per kind), edit, enable or
disable, delete, and "Send a test".

Every query starts from own_channels(): a person manages their own channels here, staff
included (the admin shows everyone's), so another user's channel is simply not found (404).
"""

import math

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import CreateView, DeleteView, ListView, TemplateView, UpdateView

from notifications.models import Event, NotificationChannel, NotificationLog
from notifications.redaction import redacted_config
from notifications.sample import send_test_message
from uptime.api.throttles import ScopedThrottle

from .channel_forms import CONFIG_FIELDS, ChannelForm
from .views import next_url

Kind = NotificationChannel.Kind
KIND_BLURBS = {
    Kind.EMAIL: "An email to one address.",
    Kind.WEBHOOK: "A signed JSON POST to a URL of yours.",
    Kind.SLACK: "A message in a Slack channel, through an incoming webhook.",
    Kind.DISCORD: "A message in a Discord channel, through its webhook.",
    Kind.TELEGRAM: "A message from your Telegram bot to a chat.",
    Kind.APNS: "A push to the devices where you signed in to the uptime app.",
}


def own_channels(user) -> QuerySet:
    return NotificationChannel.objects.filter(owner=user)


def describe(channel: NotificationChannel) -> str:
    """What the list shows of a channel's config: its redacted form, never a secret."""
    shown = redacted_config(channel)
    if channel.kind == Kind.WEBHOOK:
        return f"{shown['url']}{' (signed)' if shown['signed'] else ''}"
    if channel.kind == Kind.APNS:
        return "your registered devices"
    return str(next(iter(shown.values()), ""))


class ChannelListView(LoginRequiredMixin, ListView):
    template_name = "web/channel_list.html"
    context_object_name = "channels"
    extra_context = {"nav": "channels"}

    def get_queryset(self) -> QuerySet:
        last_test = NotificationLog.objects.filter(
            channel=OuterRef("pk"), event=Event.TEST
        ).order_by("-created_at", "-id")
        return own_channels(self.request.user).annotate(
            monitor_count=Count("monitors", distinct=True),
            last_test_id=Subquery(last_test.values("pk")[:1]),
        )

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        channels = list(context["channels"])
        tests = NotificationLog.objects.in_bulk(
            [channel.last_test_id for channel in channels if channel.last_test_id]
        )
        context["rows"] = [
            (channel, describe(channel), tests.get(channel.last_test_id)) for channel in channels
        ]
        context["any_enabled"] = any(channel.is_enabled for channel in channels)
        return context


class ChooseKindView(LoginRequiredMixin, TemplateView):
    template_name = "web/channel_kind.html"
    extra_context = {"nav": "channels"}

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            kinds=[(kind, KIND_BLURBS[kind]) for kind in KIND_BLURBS],
            next=next_url(self.request, ""),
            **kwargs,
        )


class ChannelFormMixin:
    model = NotificationChannel
    form_class = ChannelForm
    template_name = "web/channel_form.html"
    extra_context = {"nav": "channels"}

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context.update(
            kind_label=Kind(form.kind).label,
            config_fields=[form[name] for name in CONFIG_FIELDS[form.kind]],
            next=next_url(self.request, ""),
        )
        return context

    def get_success_url(self) -> str:
        return next_url(self.request, reverse("web:channels"))


class ChannelCreateView(LoginRequiredMixin, ChannelFormMixin, CreateView):
    def get_form_kwargs(self) -> dict:
        kind = self.kwargs["kind"]
        if kind not in Kind.values:
            raise Http404("No such kind of channel.")
        return {**super().get_form_kwargs(), "owner": self.request.user, "kind": kind}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, f"Added {self.object.name}. Send it a test to see that alerts arrive."
        )
        return response


class ChannelUpdateView(LoginRequiredMixin, ChannelFormMixin, UpdateView):
    def get_queryset(self) -> QuerySet:
        return own_channels(self.request.user)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "owner": self.request.user, "kind": self.object.kind}

    def form_valid(self, form):
        messages.success(self.request, f"Saved {form.instance.name}.")
        return super().form_valid(form)


class ChannelDeleteView(LoginRequiredMixin, DeleteView):
    template_name = "web/channel_confirm_delete.html"
    context_object_name = "channel"
    extra_context = {"nav": "channels"}
    success_url = reverse_lazy("web:channels")

    def get_queryset(self) -> QuerySet:
        return own_channels(self.request.user).annotate(monitor_count=Count("monitors"))

    def form_valid(self, form):
        messages.success(self.request, f"Deleted {self.object.name}.")
        return super().form_valid(form)


class ChannelActionView(LoginRequiredMixin, View):
    """POST-only buttons of the channel list; each goes back to the page it came from."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        channel = get_object_or_404(own_channels(request.user), pk=pk)
        self.act(channel)
        return redirect(next_url(request, reverse("web:channels")))

    def act(self, channel: NotificationChannel) -> None:
        raise NotImplementedError


class EnableChannelView(ChannelActionView):
    def act(self, channel: NotificationChannel) -> None:
        NotificationChannel.objects.filter(pk=channel.pk).update(is_enabled=True)
        messages.success(self.request, f"Enabled {channel.name}.")


class DisableChannelView(ChannelActionView):
    def act(self, channel: NotificationChannel) -> None:
        NotificationChannel.objects.filter(pk=channel.pk).update(is_enabled=False)
        messages.success(self.request, f"Disabled {channel.name}: it gets no alerts until enabled.")


class SendTestView(ChannelActionView):
    # The API's channel-test throttle, with the same history: one budget of test messages
    # whether a person presses the button or calls the API.
    throttle_scope = "channel-test"

    def act(self, channel: NotificationChannel) -> None:
        throttle = ScopedThrottle()
        if not throttle.allow_request(self.request, self):
            wait = math.ceil(throttle.wait() or 1)
            messages.error(self.request, f"Too many tests asked for; try again in {wait} s.")
            return
        log = send_test_message(channel)
        if log.outcome == NotificationLog.Outcome.DELIVERED:
            answer = f" ({log.response})" if log.response else ""
            messages.success(self.request, f"Test sent to {channel.name}: delivered{answer}.")
        else:
            messages.error(self.request, f"Test to {channel.name} failed: {log.error}")
