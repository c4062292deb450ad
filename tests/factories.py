from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate
from monitors.models import CheckResult, MaintenanceWindow, Monitor, StatusPage
from monitors.outcomes import Outcome
from notifications.models import Delivery, Device, NotificationChannel


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class MonitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Monitor

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"API {n}")
    url = "https://example.com/health"
    interval_seconds = 60
    timeout_seconds = 5
    failure_threshold = 3


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckResult

    monitor = factory.SubFactory(MonitorFactory)
    checked_at = factory.LazyFunction(timezone.now)
    outcome = Outcome.OK
    status_code = 200
    response_ms = 42


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    monitor = factory.SubFactory(MonitorFactory)
    opened_at = factory.LazyFunction(timezone.now)
    cause = "connection refused"


class IncidentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentUpdate

    incident = factory.SubFactory(IncidentFactory)
    status = IncidentUpdate.Status.INVESTIGATING
    message = "We are looking into it."


class StatusPageFactory(factory.django.DjangoModelFactory):
    """A page of its owner's; give it monitors with page.set_layout([ids], {}, [])."""

    class Meta:
        model = StatusPage

    owner = factory.SubFactory(UserFactory)
    slug = factory.Sequence(lambda n: f"status-{n}")
    title = factory.Sequence(lambda n: f"Status {n}")


class NotificationChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationChannel

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"channel {n}")
    kind = NotificationChannel.Kind.WEBHOOK
    config = factory.LazyFunction(lambda: {"url": "http://127.0.0.1:9/hook"})


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    owner = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"{n:064x}")
    name = factory.Sequence(lambda n: f"iPhone {n}")


class MaintenanceWindowFactory(factory.django.DjangoModelFactory):
    """A one-off window from now to an hour from now."""

    class Meta:
        model = MaintenanceWindow

    monitor = factory.SubFactory(MonitorFactory)
    kind = MaintenanceWindow.Kind.ONE_OFF
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


def delivery_for(channel, event: str = "incident.opened", *, name: str = "Billing API",
                 **incident_fields) -> Delivery:
    """A Delivery of `event` to `channel` about an incident of a monitor of its owner's."""
    monitor = MonitorFactory(owner=channel.owner, name=name,
                             url="https://billing.example.com/health")
    incident = IncidentFactory(monitor=monitor, cause="expected 200, got 503", **incident_fields)
    return Delivery.objects.create(incident=incident, channel=channel, event=event)
