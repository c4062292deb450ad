"""Every list in the API comes a page at a time, in a fixed number of queries however many
rows there are, and a page that does not exist answers 404, never 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitors.bulk import create_monitors
from monitors.models import Monitor
from tests.factories import (
    DeviceFactory,
    IncidentFactory,
    MaintenanceWindowFactory,
    NotificationChannelFactory,
)

pytestmark = pytest.mark.django_db


def monitors(owner, count: int) -> list[Monitor]:
    start = Monitor.objects.count()
    created = create_monitors([
        Monitor(owner=owner, name=f"monitor {n:03d}", url=f"https://example.com/{n}")
        for n in range(start, start + count)
    ])
    channel = NotificationChannelFactory(owner=owner)
    for monitor in created:
        monitor.channels.add(channel)
    return created


def incidents(owner, count: int) -> None:
    for monitor in monitors(owner, count):
        IncidentFactory(monitor=monitor, acknowledged_by=owner,
                        acknowledged_at=timezone.now())


def windows(owner, count: int) -> None:
    for monitor in monitors(owner, count):
        MaintenanceWindowFactory(monitor=monitor)


def channels(owner, count: int) -> None:
    NotificationChannelFactory.create_batch(count, owner=owner)


def devices(owner, count: int) -> None:
    DeviceFactory.create_batch(count, owner=owner)


LISTS = {
    "/api/v1/monitors/": monitors,
    "/api/v1/incidents/": incidents,
    "/api/v1/maintenance-windows/": windows,
    "/api/v1/channels/": channels,
    "/api/v1/devices/": devices,
}


@pytest.mark.parametrize("path", LISTS)
def test_a_list_takes_as_many_queries_for_50_rows_as_for_5(
    path, as_alice, alice, django_assert_max_num_queries
):
    LISTS[path](alice, 5)
    with CaptureQueriesContext(connection) as few:
        assert as_alice.get(path).status_code == 200

    LISTS[path](alice, 45)
    with django_assert_max_num_queries(len(few)):
        response = as_alice.get(path)

    assert response.data["count"] >= 50
    assert len(response.data["results"]) == 50


@pytest.mark.parametrize("path", LISTS)
def test_every_list_is_paginated(path, as_alice, alice):
    LISTS[path](alice, 55)

    first = as_alice.get(path).data
    second = as_alice.get(first["next"]).data

    assert len(first["results"]) == 50 and first["previous"] is None
    assert len(second["results"]) == first["count"] - 50 and second["next"] is None
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(ids)) == first["count"]


def test_page_two_of_monitors_holds_the_next_ones_by_name(as_alice, alice):
    monitors(alice, 60)

    second = as_alice.get("/api/v1/monitors/", {"page": 2}).data

    assert [row["name"] for row in second["results"]] == [
        f"monitor {n:03d}" for n in range(50, 60)
    ]
    assert second["previous"].endswith("/api/v1/monitors/")


@pytest.mark.parametrize("page", ["3", "0", "-1", "abc", "99999999999999999999"])
def test_a_page_that_does_not_exist_answers_404(as_alice, alice, page):
    monitors(alice, 60)

    response = as_alice.get("/api/v1/monitors/", {"page": page})

    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_page_holds_at_most_200_rows(as_alice, alice):
    monitors(alice, 210)

    response = as_alice.get("/api/v1/monitors/", {"page_size": 1000})

    assert len(response.data["results"]) == 200
