"""Cases 7 and 8: a target that drips one byte a second, and a DNS resolver that never
answers. Each check ends at its deadline with a failure of its own kind, and the worker goes
on checking (a healthy monitor beside them keeps getting its checks). Real beat and worker."""

import socket

import pytest

from monitors.models import CheckResult, Monitor
from tests.factories import MonitorFactory
from tests.support.pipeline import Pipeline
from tests.support.stalling import HeaderTrickler

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TIMEOUT = 2


@pytest.fixture
def mute_resolver():
    """A UDP socket on loopback that takes DNS queries and never answers them."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_a_dripping_target_and_a_mute_resolver_end_at_the_deadline(
    tmp_path, settings, target, mute_resolver, fault_report
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    drip = HeaderTrickler().start()
    dripping = MonitorFactory(name="drip", url=drip.url("/"), interval_seconds=3,
                              timeout_seconds=TIMEOUT, failure_threshold=1)
    hung_dns = MonitorFactory(name="hung dns", kind=Monitor.Kind.DNS,
                              url="dns://uptime.example", dns_resolver=mute_resolver,
                              interval_seconds=3, timeout_seconds=TIMEOUT, failure_threshold=1)
    healthy = MonitorFactory(name="healthy", url=target.url("/health"), interval_seconds=1,
                             timeout_seconds=1)

    def checks(monitor):
        return CheckResult.objects.filter(monitor=monitor).order_by("checked_at")

    try:
        with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
            pipeline.wait_for(
                lambda: checks(dripping).count() >= 2 and checks(hung_dns).count() >= 2
                and checks(healthy).count() >= 8,
                timeout=60, what="two checks of each stalled target and eight healthy ones",
            )
    finally:
        drip.stop()

    drips = list(checks(dripping))
    dns = list(checks(hung_dns))
    fault_report(
        "7 target drips 1 byte/s",
        f"timeout at the {TIMEOUT} s deadline; worker goes on",
        f"{len(drips)} checks: {sorted({c.outcome for c in drips})}; "
        f"{checks(healthy).count()} healthy checks meanwhile",
    )
    fault_report(
        "8 DNS resolver never answers",
        "dns_failure/timeout at the deadline; worker goes on",
        f"{len(dns)} checks: {sorted({c.outcome for c in dns})}",
    )
    assert {c.outcome for c in drips} == {"timeout"}
    assert {c.outcome for c in dns} <= {"timeout", "dns_failure"}
    assert all("timed out" in c.error or "timeout" in c.error.lower() for c in dns), [
        c.error for c in dns
    ]
    # Cut at the deadline: the next check of the same monitor started an interval later,
    # not after the 200-odd seconds the drip would take.
    gaps = [(later.checked_at - earlier.checked_at).total_seconds()
            for earlier, later in zip(drips, drips[1:], strict=False)]
    assert all(gap < 3 + TIMEOUT + 2 for gap in gaps), gaps
    assert {c.outcome for c in checks(healthy)} == {"ok"}
