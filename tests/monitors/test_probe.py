import signal

import pytest
from billiard.exceptions import SoftTimeLimitExceeded

from monitors.outcomes import CheckSpec, Outcome
from tests.support.probing import DEADLINE_SLACK_SECONDS, probe, timed
from tests.support.target import TargetServer


@pytest.fixture
def second_loopback_target():
    """A server on 127.0.0.2: another loopback address, so the guard can tell it apart.
    Linux routes all of 127.0.0.0/8 to loopback; a machine that does not fails here rather
    than skipping, since a skipped guard test would prove nothing."""
    server = TargetServer(host="127.0.0.2").start()
    yield server
    server.stop()


def test_an_up_target_is_ok_with_its_status_and_response_time(target):
    result = probe().run(CheckSpec(url=target.url("/health")))

    assert result.outcome == Outcome.OK
    assert result.is_up
    assert result.status_code == 200
    assert result.response_ms is not None and result.response_ms >= 0
    assert target.requests_seen[0][:2] == ("GET", "/health")


def test_a_500_is_a_wrong_status(target):
    target.mode = "error"

    result = probe().run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.WRONG_STATUS
    assert result.status_code == 500
    assert result.message == "expected 2xx, got 500"


def test_expected_status_codes_replace_any_2xx(target):
    target.mode = "error"

    assert probe().run(CheckSpec(url=target.url(), expected_status_codes=(500,))).is_up
    target.mode = "up"
    result = probe().run(CheckSpec(url=target.url(), expected_status_codes=(204, 500)))
    assert result.outcome == Outcome.WRONG_STATUS
    assert result.message == "expected 204 or 500, got 200"


def test_a_slow_target_times_out_near_the_deadline(target):
    target.mode = "slow"

    result, seconds = timed(lambda: probe().run(CheckSpec(url=target.url(), timeout_seconds=1)))

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == "timed out after 1.0 s"
    assert seconds < 1 + DEADLINE_SLACK_SECONDS


def test_a_target_trickling_its_body_times_out_at_the_deadline(target):
    target.mode = "trickle"

    result, seconds = timed(lambda: probe().run(CheckSpec(url=target.url(), timeout_seconds=2)))

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == "timed out after 2.0 s"
    assert result.status_code == 200
    assert 1.9 < seconds < 2 + DEADLINE_SLACK_SECONDS


def test_a_target_that_is_down_refuses_the_connection(target):
    target.take_down()

    result = probe().run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.CONNECTION_REFUSED
    assert result.message == f"connection refused by 127.0.0.1:{target.port}"
    assert result.response_ms is not None
    target.bring_up()
    assert probe().run(CheckSpec(url=target.url())).is_up


@pytest.mark.parametrize("mode", ["big", "big_chunked"])
def test_a_body_over_the_limit_is_too_large(target, mode):
    target.mode = mode

    result = probe(max_body_bytes=1024 * 1024).run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.BODY_TOO_LARGE
    assert result.status_code == 200


def test_a_loopback_target_is_blocked_without_being_contacted(target):
    result = probe(allow_private=False).run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert "127.0.0.1" in result.message
    assert "UPTIME_ALLOW_PRIVATE_TARGETS=1" in result.message
    assert target.requests_seen == []


def test_a_redirect_to_a_blocked_address_is_blocked_before_it_is_followed(
    target, second_loopback_target
):
    target.mode = "redirect_private"
    target.redirect_to = second_loopback_target.url("/internal")
    guarded = probe(allow_private=False, allowed_addresses=frozenset({"127.0.0.1"}))

    result = guarded.run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert "127.0.0.2" in result.message
    assert len(target.requests_seen) == 1
    assert second_loopback_target.requests_seen == []


def test_an_unresolvable_host_is_a_dns_failure():
    # The .invalid top-level domain is reserved never to resolve (RFC 2606).
    result = probe().run(CheckSpec(url="http://uptime-check.invalid/"))

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == "could not resolve uptime-check.invalid"


def test_a_certificate_from_an_unknown_authority_is_a_tls_error(tls_target):
    result = probe().run(CheckSpec(url=tls_target.url()))

    assert result.outcome == Outcome.TLS_ERROR
    assert "certificate verify failed" in result.message
    assert tls_target.requests_seen == []


def test_a_certificate_from_a_trusted_authority_is_ok(tls_target, tls_ca):
    with tls_ca.cert_pem.tempfile() as ca_path:
        result = probe(verify=ca_path).run(CheckSpec(url=tls_target.url(host="localhost")))

    assert result.outcome == Outcome.OK


def test_a_redirect_loop_is_too_many_redirects(target):
    target.mode = "redirect_private"  # by default to itself

    result = probe(max_redirects=3).run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.TOO_MANY_REDIRECTS
    assert result.message == "more than 3 redirects"
    assert len(target.requests_seen) == 4


def test_redirects_are_followed_and_post_becomes_get_after_a_302(target):
    target.mode = "redirect_private"
    target.mode_for_path["/landed"] = "up"
    target.redirect_to = "/landed"

    result = probe().run(CheckSpec(url=target.url(), method="POST"))

    assert result.outcome == Outcome.OK
    assert [(method, path) for method, path, _ in target.requests_seen] == [
        ("POST", "/"), ("GET", "/landed"),
    ]


def test_an_expected_redirect_status_is_checked_rather_than_followed(target):
    target.mode = "redirect_private"

    result = probe().run(CheckSpec(url=target.url(), expected_status_codes=(302,)))

    assert result.outcome == Outcome.OK
    assert len(target.requests_seen) == 1


CREDENTIALS = (
    ("Authorization", "Bearer secret"),
    ("X-Api-Key", "k-123"),
    ("Cookie", "session=abc"),
    ("X-Request-Source", "uptime"),
)


def test_a_redirect_to_another_host_drops_credential_headers(target):
    target.mode = "redirect_private"
    target.mode_for_path["/landed"] = "up"
    target.redirect_to = target.url("/landed", host="localhost")

    result = probe().run(CheckSpec(url=target.url(), headers=CREDENTIALS))

    assert result.is_up
    first, landed = (headers for _, _, headers in target.requests_seen)
    assert first["authorization"] == "Bearer secret" and first["x-api-key"] == "k-123"
    assert "authorization" not in landed
    assert "x-api-key" not in landed
    assert "cookie" not in landed
    assert landed["x-request-source"] == "uptime"


def test_a_redirect_on_the_same_host_keeps_credential_headers(target):
    target.mode = "redirect_private"
    target.mode_for_path["/landed"] = "up"
    target.redirect_to = target.url("/landed")

    result = probe().run(CheckSpec(url=target.url(), headers=CREDENTIALS))

    assert result.is_up
    landed = target.requests_seen[1][2]
    assert landed["authorization"] == "Bearer secret"
    assert landed["x-api-key"] == "k-123"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file", "javascript:alert(1)", "http://", "http://example.com:99999/"],
)
def test_urls_that_are_not_http_are_invalid(url):
    result = probe().run(CheckSpec(url=url))

    assert result.outcome == Outcome.INVALID_URL
    assert result.response_ms is None


def test_a_redirect_to_a_non_http_url_is_invalid(target):
    target.mode = "redirect_private"
    target.redirect_to = "ftp://example.com/"

    result = probe().run(CheckSpec(url=target.url()))

    assert result.outcome == Outcome.INVALID_URL
    assert "ftp://example.com/" in result.message


def test_proxy_environment_variables_do_not_reroute_checks(target, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")

    assert probe().run(CheckSpec(url=target.url())).is_up


def test_celerys_soft_time_limit_is_not_swallowed(target):
    target.mode = "slow"

    def soft_time_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    # Celery delivers its soft limit the same way: a signal whose handler raises.
    previous = signal.signal(signal.SIGALRM, soft_time_limit)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            probe().run(CheckSpec(url=target.url(), timeout_seconds=3))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_head_check_is_ok_without_a_body(target):
    result = probe().run(CheckSpec(url=target.url(), method="HEAD"))

    assert result.outcome == Outcome.OK
    assert target.requests_seen[0][0] == "HEAD"
