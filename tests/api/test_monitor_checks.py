from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import CheckResultFactory, MonitorFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def monitor(alice):
    monitor = MonitorFactory(owner=alice)
    for hour in range(5):
        CheckResultFactory(monitor=monitor, checked_at=NOON + timedelta(hours=hour))
    return monitor


def checked_at(body: dict) -> list[str]:
    return [check["checked_at"] for check in body["results"]]


def test_it_lists_the_checks_newest_first(as_alice, monitor):
    body = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks").json()

    assert checked_at(body) == [
        f"2025-03-01T{hour}:00:00Z" for hour in ("16", "15", "14", "13", "12")
    ]
    assert set(body["results"][0]) == {
        "id", "checked_at", "outcome", "status_code", "response_ms", "error", "region",
    }


def test_since_and_until_bound_the_window_inclusively(as_alice, monitor):
    body = as_alice.get(
        f"/api/v1/monitors/{monitor.pk}/checks",
        {"since": "2025-03-01T13:00:00Z", "until": "2025-03-01T15:00:00+00:00"},
    ).json()

    assert checked_at(body) == ["2025-03-01T15:00:00Z", "2025-03-01T14:00:00Z",
                                "2025-03-01T13:00:00Z"]


def test_a_cursor_pages_through_without_repeats(as_alice, monitor):
    first = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks", {"page_size": 2}).json()
    second = as_alice.get(first["next"]).json()
    third = as_alice.get(second["next"]).json()

    pages = checked_at(first) + checked_at(second) + checked_at(third)
    assert len(pages) == len(set(pages)) == 5
    assert third["next"] is None
    assert first["previous"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-13-45T99:00:00Z"}, "until"),
        ({"since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"}, "until"),
        ({"since": "9999-12-31T23:59:59-23:00"}, "since"),
    ],
)
def test_bad_dates_answer_400_naming_the_parameter(as_alice, monitor, params, field):
    response = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks", params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_forged_cursor_is_not_found(as_alice, monitor):
    response = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks", {"cursor": "bz1hYmM="})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}
