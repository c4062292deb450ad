"""The dns kind against a real DNS server on loopback (tests/support/dns_server.py)."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from monitors.checking import run_check
from monitors.kinds import executor_for
from monitors.kinds.dns import DnsExecutor
from monitors.models import Monitor
from monitors.outcomes import CheckSpec, Outcome
from tests.support.dns_server import DnsServer, silent

ZONE = {
    "up.test": {
        "A": ["192.0.2.10", "192.0.2.11"],
        "AAAA": ["2001:db8::10"],
        "TXT": ["v=spf1 -all"],
        "MX": ["10 mail.up.test"],
        "NS": ["ns1.up.test"],
    },
    "www.up.test": {"CNAME": ["up.test"]},
}


@pytest.fixture
def dns_server():
    server = DnsServer(ZONE).start()
    yield server
    server.stop()


def check(server, name="up.test", record_type="A", expected=(), *, resolver=None,
          timeout=5, allow_private=True):
    return DnsExecutor(allow_private=allow_private).run(CheckSpec(
        url=f"dns://{name}", kind="dns", timeout_seconds=timeout,
        options={"dns_record_type": record_type, "dns_expected": list(expected),
                 "dns_resolver": resolver if resolver is not None else server.address},
    ))


@pytest.mark.parametrize(
    ("record_type", "answer"),
    [
        ("A", "192.0.2.10, 192.0.2.11"),
        ("AAAA", "2001:db8::10"),
        ("TXT", "v=spf1 -all"),
        ("MX", "10 mail.up.test"),
        ("NS", "ns1.up.test"),
    ],
)
def test_an_answer_is_ok_and_listed(dns_server, record_type, answer):
    result = check(dns_server, record_type=record_type)

    assert result.outcome == Outcome.OK, result.message
    assert result.message == f"{record_type} up.test: {answer}"
    assert result.response_ms is not None and result.response_ms >= 0
    assert dns_server.queries == [("up.test", record_type)]


def test_a_cname_answer(dns_server):
    result = check(dns_server, "www.up.test", "CNAME", ["up.test."])

    assert result.outcome == Outcome.OK
    assert result.message == "CNAME www.up.test: up.test"


@pytest.mark.parametrize(
    ("record_type", "expected"),
    [
        ("A", ["192.0.2.11"]),
        ("A", ["192.0.2.10", "192.0.2.11"]),
        ("AAAA", ["2001:0db8:0000::0010"]),  # written another way, the same address
        ("MX", ["mail.up.test"]),
        ("MX", ["10 MAIL.up.test."]),
        ("TXT", ["v=spf1 -all"]),
    ],
)
def test_expected_answers_that_are_there_pass(dns_server, record_type, expected):
    assert check(dns_server, record_type=record_type, expected=expected).outcome == Outcome.OK


def test_an_expected_answer_that_is_missing_is_an_assertion_failure(dns_server):
    result = check(dns_server, expected=["192.0.2.10", "198.51.100.1"])

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.message == "A up.test: expected 198.51.100.1; got 192.0.2.10, 192.0.2.11"


def test_a_long_failure_message_is_cut_to_200_characters(dns_server):
    result = check(dns_server, expected=["x" * 300])

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert len(result.message) == 200 and result.message.endswith("…")


def test_nxdomain_is_a_dns_failure(dns_server):
    result = check(dns_server, "nowhere.test")

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == f"nowhere.test does not exist (NXDOMAIN from {dns_server.address})"


def test_no_record_of_the_type_is_a_dns_failure(dns_server):
    result = check(dns_server, "www.up.test", "TXT")

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message.startswith("www.up.test has no TXT record (no answer")


def test_servfail_is_a_dns_failure(dns_server):
    dns_server.servfail.add("up.test")

    result = check(dns_server)

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == f"{dns_server.address} failed to answer for up.test: SERVFAIL"


def test_a_resolver_that_never_answers_times_out_within_the_deadline(dns_server):
    with silent() as address:
        started = time.monotonic()
        result = check(dns_server, resolver=address, timeout=1)
        took = time.monotonic() - started

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == f"timed out: {address} did not answer for up.test within 1.0 s"
    assert took < 2.5


def test_a_private_resolver_is_blocked_unless_private_targets_are_allowed(dns_server):
    result = check(dns_server, allow_private=False)

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("resolver 127.0.0.1 is not a public address")
    assert dns_server.queries == []


def test_the_registry_builds_the_guard_from_the_setting(dns_server):
    with override_settings(UPTIME_ALLOW_PRIVATE_TARGETS=False):
        result = executor_for("dns").run(CheckSpec(
            url="dns://up.test", kind="dns", options={"dns_resolver": dns_server.address},
        ))

    assert result.outcome == Outcome.BLOCKED_ADDRESS


@pytest.mark.parametrize("url", ["dns://up.test", "dns://_dmarc.up.test", "DNS://Up.Test."])
def test_targets_of_the_form_dns_hostname_are_accepted(url):
    DnsExecutor.validate_target(url)


@pytest.mark.parametrize(
    "url",
    ["https://up.test", "up.test", "dns://", "dns://up.test:53", "dns://up.test/path",
     "dns://-bad.test", "dns://a..b", "dns://" + "a" * 64 + ".test", "dns://user@up.test"],
)
def test_other_targets_are_refused(url):
    with pytest.raises(ValidationError):
        DnsExecutor.validate_target(url)


# --- through the API and the check pipeline ---------------------------------------------

@pytest.fixture
def api(alice):
    client = APIClient()
    _, token = AuthToken.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_a_dns_monitor_made_through_the_api_is_checked(api, dns_server, without_first_checks):
    response = api.post("/api/v1/monitors/", {
        "name": "Mail DNS", "kind": "dns", "url": "dns://up.test", "dns_record_type": "MX",
        "dns_expected": ["mail.up.test"], "dns_resolver": dns_server.address,
    }, format="json")
    assert response.status_code == 201, response.content

    result = run_check(response.json()["id"], scheduled=False)

    assert result.outcome == Outcome.OK
    assert result.error == ""
    monitor = Monitor.objects.get()
    assert monitor.status == Monitor.Status.UP
    assert dns_server.queries == [("up.test", "MX")]


@pytest.mark.django_db
def test_a_missing_answer_through_the_pipeline_is_recorded(api, dns_server, without_first_checks):
    response = api.post("/api/v1/monitors/", {
        "name": "Web DNS", "kind": "dns", "url": "dns://up.test",
        "dns_expected": ["198.51.100.1"], "dns_resolver": dns_server.address,
    }, format="json")

    result = run_check(response.json()["id"], scheduled=False)

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert "expected 198.51.100.1" in result.error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "dns://up.test:53"}, "url", "A dns check's target is dns://hostname"),
        ({"url": "https://up.test"}, "url", "A dns check's target is dns://hostname (got https:)"),
        ({"dns_resolver": "resolver.example"}, "dns_resolver",
         "Give the resolver as an IP address with an optional port"),
        ({"dns_resolver": "192.0.2.53:99999"}, "dns_resolver",
         "Give the resolver as an IP address with an optional port"),
        ({"dns_expected": "192.0.2.10"}, "dns_expected",
         "Give the expected answers as a list of strings"),
        ({"dns_expected": [1]}, "dns_expected", "Give the expected answers as a list of strings"),
        ({"dns_expected": ["x"] * 21}, "dns_expected", "At most 20 expected answers."),
        ({"dns_record_type": "SOA"}, "dns_record_type", '"SOA" is not a valid choice.'),
    ],
)
def test_bad_dns_input_is_a_400_naming_the_field(api, changes, field, message):
    response = api.post("/api/v1/monitors/", {
        "name": "DNS", "kind": "dns", "url": "dns://up.test", **changes,
    }, format="json")

    assert response.status_code == 400, response.content
    assert response.json()[field][0].startswith(message), response.json()
    assert not Monitor.objects.exists()
