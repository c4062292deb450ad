"""Input that no field rule is about still answers 400, never 500."""

import pytest

from monitors.models import Monitor
from notifications.models import NotificationChannel

pytestmark = pytest.mark.django_db


def post_raw(client, path: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "x", "url": ', "JSON parse error"),
        (b'{"name": NaN}', "JSON parse error"),
        (b"[" * 100_000 + b"]" * 100_000, "The JSON is nested too deeply."),
        (b'{"name": "a\\u0000b", "url": "https://example.com"}', "NUL"),
        (b'{"name": "\\ud800", "url": "https://example.com"}', "lone surrogate"),
        (b'{"name": "x", "url": "https://example.com", "request_headers": {"X": "\\u0000"}}',
         "NUL"),
    ],
)
def test_bodies_that_cannot_be_parsed_or_stored_answer_400(as_alice, body, message):
    response = post_raw(as_alice, "/api/v1/monitors/", body)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Monitor.objects.exists()


def test_a_body_over_the_upload_limit_is_refused_unread(as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"name": "' + b"x" * 2000 + b'", "url": "https://example.com"}'

    response = post_raw(as_alice, "/api/v1/monitors/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is larger than 1000 bytes."}


def test_a_body_that_is_not_an_object_is_refused(as_alice):
    response = post_raw(as_alice, "/api/v1/channels/", b'["webhook"]')

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    assert not NotificationChannel.objects.exists()


def test_only_json_is_accepted(as_alice):
    response = post_raw(
        as_alice, "/api/v1/monitors/", b"name=x&url=https://example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415


@pytest.mark.parametrize("monitor_id", ["abc", "-1", "99999999999999999999999", "1e3"])
def test_odd_ids_are_simply_not_found(as_alice, monitor_id):
    assert as_alice.get(f"/api/v1/monitors/{monitor_id}/").status_code == 404
