"""DELETE /api/v1/me: the account and everything it owns goes, once the password is given."""

import pytest
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents.models import Incident
from monitors.models import CheckResult, Monitor
from monitors.status_pages import StatusPage
from notifications.models import Device, NotificationChannel
from tests.factories import (
    CheckResultFactory,
    DeviceFactory,
    IncidentFactory,
    MonitorFactory,
    NotificationChannelFactory,
    StatusPageFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_deleting_the_account_removes_everything_it_owns(alice, charlie):
    monitor = MonitorFactory(owner=alice)
    CheckResultFactory(monitor=monitor)
    IncidentFactory(monitor=monitor)
    NotificationChannelFactory(owner=alice)
    DeviceFactory(owner=alice)
    StatusPageFactory(owner=alice)
    theirs = MonitorFactory(owner=charlie)
    client, other_device = token_client(alice), token_client(alice)
    assert PeriodicTask.objects.filter(pk=monitor.periodic_task_id).exists()

    response = client.delete("/api/v1/me", {"password": PASSWORD})

    assert response.status_code == 204
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    for model, owner_field in [(Monitor, "owner"), (NotificationChannel, "owner"),
                               (Device, "owner"), (StatusPage, "owner"),
                               (AuthToken, "user")]:
        assert not model.objects.filter(**{f"{owner_field}_id": alice.pk}).exists()
    assert not CheckResult.objects.filter(monitor_id=monitor.pk).exists()
    assert not Incident.objects.filter(monitor_id=monitor.pk).exists()
    assert not PeriodicTask.objects.filter(pk=monitor.periodic_task_id).exists()
    assert not PeriodicTask.objects.filter(name__contains=f":{monitor.pk}").exists()
    assert PeriodicTask.objects.filter(pk=theirs.periodic_task_id).exists()
    assert other_device.get("/api/v1/me").status_code == 401


def test_the_users_name_is_left_nowhere(alice, bob):
    # bob (staff) acknowledged and noted an incident of a monitor of charlie's: the notes stay,
    # without his name, once he deletes his own account.
    incident = IncidentFactory()
    incident.acknowledge(bob)
    incident.post_update(status="investigating", message="Looking", author=bob)

    assert token_client(bob).delete("/api/v1/me", {"password": PASSWORD}).status_code == 204

    incident.refresh_from_db()
    assert incident.acknowledged_by is None
    assert incident.updates.get().author is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"password": "wrong"}, 400, "password"), ({}, 400, "password"),
     ({"password": PASSWORD, "extra": 1}, 400, "extra")],
)
def test_without_the_right_password_nothing_is_deleted(alice, body, status, field):
    MonitorFactory(owner=alice)

    response = token_client(alice).delete("/api/v1/me", body, format="json")

    assert response.status_code == status
    assert field in response.json()
    assert Monitor.objects.filter(owner=alice).exists()
