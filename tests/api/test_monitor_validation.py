"""Bad monitor input answers 400 naming the field, with the model's own messages."""

import pytest

from monitors.models import Monitor

pytestmark = pytest.mark.django_db

VALID = {"name": "Billing API", "url": "https://billing.example.com/health"}


def errors_for(client, **changes) -> dict:
    response = client.post("/api/v1/monitors/", {**VALID, **changes}, format="json")
    assert response.status_code == 400, response.content
    assert not Monitor.objects.exists()
    return response.json()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/file", "Only http:// and https:// URLs can be monitored (got ftp:)."),
        ("javascript:alert(1)", "Only http:// and https:// URLs can be monitored"),
        ("example.com/health", "Only http:// and https:// URLs can be monitored (got no scheme)."),
        ("http://exa mple.com/", "Enter a valid URL."),
        ("https://", "Enter a valid URL."),
        # urlsplit raises on an unbalanced bracket in the host, rather than answering.
        ("http://[abc", "Enter a valid URL."),
        ("https://a]b/", "Enter a valid URL."),
        ("http://[::1", "Enter a valid URL."),
    ],
)
def test_only_http_and_https_urls_are_accepted(as_alice, url, message):
    [error] = errors_for(as_alice, url=url)["url"]

    assert error.startswith(message)


def test_an_international_domain_and_a_unicode_name_are_fine(as_alice):
    response = as_alice.post(
        "/api/v1/monitors/",
        {"name": "Zahlungs-API 💳 支払い", "url": "https://bücher.example/health"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["name"] == "Zahlungs-API 💳 支払い"


def test_the_interval_has_a_floor_from_settings(as_alice, settings):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 30

    errors = errors_for(as_alice, interval_seconds=20, timeout_seconds=5)

    assert errors == {"interval_seconds": ["Checks may run at most every 30 seconds."]}


def test_the_timeout_has_a_ceiling_from_settings(as_alice, settings):
    settings.UPTIME_MAX_TIMEOUT_SECONDS = 20

    errors = errors_for(as_alice, interval_seconds=300, timeout_seconds=30)

    assert errors == {"timeout_seconds": ["The timeout may be at most 20 seconds."]}


def test_the_timeout_must_be_shorter_than_the_interval(as_alice):
    errors = errors_for(as_alice, interval_seconds=30, timeout_seconds=30)

    assert errors == {"timeout_seconds": ["The timeout must be shorter than the interval."]}


def test_a_partial_update_is_checked_against_the_saved_fields(as_alice, alice):
    from tests.factories import MonitorFactory

    monitor = MonitorFactory(owner=alice, interval_seconds=60, timeout_seconds=20)

    response = as_alice.patch(f"/api/v1/monitors/{monitor.pk}/", {"interval_seconds": 15})

    assert response.status_code == 400
    assert response.json() == {
        "timeout_seconds": ["The timeout must be shorter than the interval."]
    }


@pytest.mark.parametrize("threshold", [0, 21, -1])
def test_the_failure_threshold_is_between_1_and_20(as_alice, threshold):
    assert "failure_threshold" in errors_for(as_alice, failure_threshold=threshold)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("interval_seconds", "often", "A valid integer is required."),
        ("interval_seconds", 10**30, None),
        ("failure_threshold", 2.5, "A valid integer is required."),
        ("is_paused", "maybe", "Must be a valid boolean."),
        ("name", {"nested": True}, "Not a valid string."),
        ("method", "BREW", '"BREW" is not a valid choice.'),
        ("expected_status_codes", [200, 999], "Status codes must be between 100 and 599"),
        ("expected_status_codes", "200", "Give a list of HTTP status codes, e.g. [200, 204]."),
        ("expected_status_codes", [True], "Give a list of HTTP status codes, e.g. [200, 204]."),
        ("request_headers", ["X-Key"], "Give headers as an object of strings"),
        ("request_headers", {"X-Key": 5}, "Give headers as an object of strings"),
        ("request_headers", {"Bad Name": "v"}, "Header 'Bad Name' is not a valid HTTP header."),
        ("request_headers", {"X-Key": "a\r\nInjected: 1"}, "Header 'X-Key' is not a valid"),
        ("request_headers", {"X-Key": "v" * 5000}, "Header names may have at most"),
        ("regions", ["eu west"], "Region names are letters, digits, - and _, at most 40"),
        ("regions", ["us", "us"], "Each region may be listed once."),
        ("regions", "us", None),
        ("quorum", 0, None),
        ("channels", "1", None),
        ("name", "", "This field may not be blank."),
        ("name", "x" * 201, "Ensure this field has no more than 200 characters."),
        ("url", "https://example.com/" + "a" * 2000, None),
    ],
)
def test_wrong_types_and_sizes_name_the_field(as_alice, field, value, message):
    errors = errors_for(as_alice, **{field: value})

    assert list(errors) == [field]
    if message:
        assert any(text.startswith(message) for text in errors[field]), errors


def test_unknown_fields_are_rejected_by_name(as_alice):
    errors = errors_for(as_alice, interval=30, colour="red")

    assert errors == {"colour": ["Unknown field."], "interval": ["Unknown field."]}


def test_required_fields_are_named(as_alice):
    response = as_alice.post("/api/v1/monitors/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field is required."],
        "url": ["This field is required."],
    }
