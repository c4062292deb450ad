"""The probe ends at its deadline whatever the target does, without Celery's help: the threads
pool that runs checks enforces no time limit, so the probe's own bounds are the limit."""

import socket
import threading

import pytest

from monitors.outcomes import CheckSpec, Outcome
from tests.support.probing import DEADLINE_SLACK_SECONDS, probe, timed
from tests.support.stalling import HeaderTrickler, KeepAliveServer, SilentServer


@pytest.fixture
def silent_server():
    server = SilentServer().start()
    yield server
    server.stop()


@pytest.fixture
def header_trickler():
    server = HeaderTrickler().start()
    yield server
    server.stop()


@pytest.fixture
def keep_alive_server():
    server = KeepAliveServer().start()
    yield server
    server.stop()


def test_a_server_that_accepts_and_never_answers_times_out_at_the_deadline(silent_server):
    result, seconds = timed(
        lambda: probe().run(CheckSpec(url=silent_server.url(), timeout_seconds=2))
    )

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == "timed out after 2.0 s"
    assert len(silent_server.requests_seen) == 1
    assert 1.9 < seconds < 2 + DEADLINE_SLACK_SECONDS


def test_a_server_trickling_its_headers_is_cut_off_at_the_deadline(header_trickler):
    # One byte a second never trips the per-read timeout; only the cut-off ends this.
    result, seconds = timed(
        lambda: probe().run(CheckSpec(url=header_trickler.url(), timeout_seconds=2))
    )

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == "timed out after 2.0 s"
    assert result.status_code is None
    assert 1.9 < seconds < 2 + DEADLINE_SLACK_SECONDS


def test_a_dns_lookup_that_hangs_is_abandoned_at_the_connect_timeout():
    # The lookup function is injected because no DNS server is reachable from the test
    # machine, so a real lookup cannot be made to hang; the bounded wait around it, the
    # thread hand-over and the outcome are the real ones.
    release = threading.Event()
    lookups = []

    def hanging_lookup(host, port, family, type):
        lookups.append(host)
        release.wait(30)
        raise socket.gaierror("released by the test")

    try:
        result, seconds = timed(lambda: probe(lookup=hanging_lookup).run(
            CheckSpec(url="http://status.example.test/", timeout_seconds=2)
        ))
    finally:
        release.set()

    assert lookups == ["status.example.test"]
    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == "DNS lookup for status.example.test did not answer within 2.0 s"
    assert seconds < 2 + DEADLINE_SLACK_SECONDS


def test_an_address_needs_no_lookup(target):
    def no_lookup(*args):
        raise AssertionError("an address was looked up")

    assert probe(lookup=no_lookup).run(CheckSpec(url=target.url())).is_up


def test_a_probe_reused_on_one_thread_connects_anew_for_every_check(keep_alive_server):
    # The server would keep the first connection open; reusing it would skip the guard's
    # look at the peer of the second check's connection.
    reused = probe()

    first = reused.run(CheckSpec(url=keep_alive_server.url("/a")))
    second = reused.run(CheckSpec(url=keep_alive_server.url("/b")))

    assert first.is_up and second.is_up
    assert keep_alive_server.connections_accepted == 2


def test_cookies_a_target_sets_do_not_follow_the_next_check(keep_alive_server):
    reused = probe()

    reused.run(CheckSpec(url=keep_alive_server.url("/login")))
    reused.run(CheckSpec(url=keep_alive_server.url("/health")))

    first, second = keep_alive_server.requests_seen
    assert b"set-cookie" not in first.lower()
    assert b"cookie:" not in second.lower()


def test_a_hung_check_does_not_hold_up_checks_on_other_threads(silent_server, target):
    hung = threading.Thread(
        target=lambda: probe().run(CheckSpec(url=silent_server.url(), timeout_seconds=5))
    )
    hung.start()
    try:
        results = [probe().run(CheckSpec(url=target.url(f"/{n}"))) for n in range(5)]
        assert hung.is_alive()
    finally:
        hung.join(10)

    assert all(result.is_up for result in results)
