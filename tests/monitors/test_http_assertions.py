"""Assertions of http checks, against the loopback target server (tests/support/target.py)."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from monitors.checking import run_check
from monitors.models import Monitor
from monitors.outcomes import CheckSpec, Outcome
from tests.support.probing import probe


def run(target, *assertions, path="/health.json"):
    target.mode_for_path["/health.json"] = "json"
    return probe().run(CheckSpec(url=target.url(path), options={"assertions": list(assertions)}))


@pytest.mark.parametrize(
    "assertion",
    [
        {"type": "body_contains", "value": '"status": "ok"'},
        {"type": "body_not_contains", "value": "error"},
        {"type": "json_path", "path": "$.status", "equals": "ok"},
        {"type": "json_path", "path": "$.version", "equals": 3},
        {"type": "json_path", "path": "$.checks[?@.name == 'db'].up", "equals": True},
        {"type": "header", "name": "content-type", "contains": "json"},
        {"type": "response_time_ms", "below": 5000},
        {"type": "response_time_ms", "below": 5000, "degrade": True},
    ],
)
def test_an_assertion_that_holds_leaves_the_check_ok(target, assertion):
    result = run(target, assertion)

    assert result.outcome == Outcome.OK, result.message
    assert result.message == "HTTP 200"


@pytest.mark.parametrize(
    ("assertion", "message"),
    [
        ({"type": "body_contains", "value": "healthy"},
         'body_contains "healthy": not in the body (body "{\\"status\\": \\"ok\\", '),
        ({"type": "body_not_contains", "value": "db"},
         'body_not_contains "db": found in …"'),
        ({"type": "json_path", "path": "$.status", "equals": "down"},
         'json_path $.status equals "down": got "ok"'),
        ({"type": "json_path", "path": "$.version", "equals": "3"},
         'json_path $.version equals "3": got 3'),
        ({"type": "json_path", "path": "$.checks[0].up", "equals": 1},
         "json_path $.checks[0].up equals 1: got true"),
        ({"type": "json_path", "path": "$.missing", "equals": "x"},
         'json_path $.missing equals "x": nothing at $.missing'),
        ({"type": "header", "name": "Content-Type", "contains": "xml"},
         'header Content-Type contains "xml": got "application/json"'),
        ({"type": "header", "name": "X-Version", "contains": "3"},
         'header X-Version contains "3": no X-Version header'),
        ({"type": "response_time_ms", "below": 1},
         "response_time_ms below 1: took "),
    ],
)
def test_an_assertion_that_fails_fails_the_check_and_says_what_was_seen(target, assertion,
                                                                       message):
    if assertion["type"] == "response_time_ms":
        target.mode_for_path["/health.json"] = "slow"
        target.slow_seconds = 0.05
        result = probe().run(CheckSpec(url=target.url("/health.json"),
                                       options={"assertions": [assertion]}))
    else:
        result = run(target, assertion)

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.message.startswith(message), result.message
    assert len(result.message) <= 200
    assert result.status_code == 200
    assert not result.is_up


def test_json_path_on_a_body_that_is_not_json(target):
    result = run(target, {"type": "json_path", "path": "$.status", "equals": "ok"}, path="/plain")

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.message == 'json_path $.status equals "ok": the body is not JSON (body "ok")'


def test_assertions_run_in_order_and_the_first_failure_is_reported(target):
    result = run(
        target,
        {"type": "body_contains", "value": "status"},
        {"type": "header", "name": "Content-Type", "contains": "html"},
        {"type": "json_path", "path": "$.status", "equals": "down"},
    )

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.message.startswith("header Content-Type")


def test_a_wrong_status_is_reported_before_any_assertion(target):
    target.mode = "error"

    result = probe().run(CheckSpec(url=target.url(), options={
        "assertions": [{"type": "body_contains", "value": "ok"}],
    }))

    assert result.outcome == Outcome.WRONG_STATUS


def test_a_long_message_is_cut_to_200_characters(target):
    result = run(target, {"type": "header", "name": "X-" + "a" * 150, "contains": "b" * 50})

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert len(result.message) == 200 and result.message.endswith("…")


def test_the_body_limit_still_holds_with_assertions(target):
    target.mode = "big"

    result = probe().run(CheckSpec(url=target.url(), options={
        "assertions": [{"type": "body_contains", "value": "x"}],
    }))

    assert result.outcome == Outcome.BODY_TOO_LARGE


# --- through the API and the check pipeline ---------------------------------------------

@pytest.fixture
def api(alice):
    client = APIClient()
    _, token = AuthToken.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_assertions_set_through_the_api_decide_the_check(api, target, without_first_checks):
    target.mode_for_path["/health.json"] = "json"
    response = api.post("/api/v1/monitors/", {
        "name": "API health", "url": target.url("/health.json"),
        "assertions": [{"type": "json_path", "path": "$.status", "equals": "ok"}],
    }, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["assertions"] == [
        {"type": "json_path", "path": "$.status", "equals": "ok"}
    ]
    monitor_id = response.json()["id"]

    assert run_check(monitor_id, scheduled=False).outcome == Outcome.OK

    api.patch(f"/api/v1/monitors/{monitor_id}/", {
        "assertions": [{"type": "json_path", "path": "$.status", "equals": "down"}],
    }, format="json")
    Monitor.objects.filter(pk=monitor_id).update(check_lease_until=None)
    result = run_check(monitor_id, scheduled=False)

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.error == 'json_path $.status equals "down": got "ok"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("assertions", "messages"),
    [
        ({"type": "body_contains", "value": "ok"},
         ['Give assertions as a list of objects, e.g. [{"type": "body_contains", '
          '"value": "ok"}].']),
        ([{"type": "body_contains", "value": "ok"}] * 21, ["At most 20 assertions."]),
        (["ok"], ['Assertion 1: give an object, e.g. {"type": "body_contains", "value": "ok"}.']),
        ([{"type": "status"}],
         ["Assertion 1: type must be one of body_contains, body_not_contains, json_path, "
          "header, response_time_ms (got 'status')."]),
        ([{"type": "body_contains"}],
         ["Assertion 1: body_contains needs 'value' (a non-empty string)."]),
        ([{"type": "body_contains", "value": ""}],
         ["Assertion 1: body_contains's 'value' must be a non-empty string."]),
        ([{"type": "json_path", "path": "$.a"}],
         ["Assertion 1: json_path needs 'equals' (any JSON value)."]),
        ([{"type": "json_path", "path": "$[", "equals": 1}],
         ["Assertion 1: '$[' is not a valid JSONPath: unexpected end of query."]),
        ([{"type": "header", "name": "Content Type", "contains": "json"}],
         ["Assertion 1: 'Content Type' is not a valid header name."]),
        ([{"type": "response_time_ms", "below": "800"}],
         ["Assertion 1: response_time_ms's 'below' must be a whole number of milliseconds "
          "between 1 and 3600000."]),
        ([{"type": "response_time_ms", "below": 800, "degrade": "yes"}],
         ["Assertion 1: 'degrade' must be true or false."]),
        ([{"type": "body_contains", "value": "ok"},
          {"type": "body_contains", "value": "ok", "equals": 1}],
         ["Assertion 2: body_contains takes value, not equals."]),
    ],
)
def test_bad_assertions_are_a_400_with_the_fields_messages(api, assertions, messages):
    response = api.post("/api/v1/monitors/", {
        "name": "API", "url": "https://api.example.com/health", "assertions": assertions,
    }, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {"assertions": messages}
    assert not Monitor.objects.exists()
