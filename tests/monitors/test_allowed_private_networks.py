"""UPTIME_ALLOWED_PRIVATE_NETWORKS opens chosen private networks, and only those, to the guard
of every kind: a team can watch its own Redis on 10.0.3.0/24 without opening the metadata
service or the rest of its network."""

import os
import socket
import subprocess
import sys

import pytest

from monitors import kinds
from monitors.netguard import AddressPolicy, BlockedAddressError
from monitors.outcomes import CheckSpec, Outcome
from tests.support.webserver import ROOT


@pytest.fixture
def listener():
    # Bound to every loopback address, so 127.0.0.1 and 127.0.0.2 both reach it.
    with socket.create_server(("0.0.0.0", 0)) as server:
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def guarded(settings):
    settings.UPTIME_ALLOW_PRIVATE_TARGETS = False
    settings.UPTIME_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32", "fd00::/8"]
    return settings


def test_an_address_in_an_allowed_network_passes_and_one_outside_it_is_blocked(guarded):
    policy = AddressPolicy()

    policy.check("127.0.0.1")
    policy.check("::ffff:127.0.0.1")
    policy.check("fd12::1")
    for address in ("127.0.0.2", "10.0.0.1", "169.254.169.254", "::1"):
        with pytest.raises(BlockedAddressError):
            policy.check(address)


def test_the_executors_the_workers_use_follow_the_setting(guarded, listener):
    tcp = kinds.executor_for("tcp")

    assert tcp.run(CheckSpec(kind="tcp", url=f"tcp://127.0.0.1:{listener}")).outcome == Outcome.OK
    blocked = tcp.run(CheckSpec(kind="tcp", url=f"tcp://127.0.0.2:{listener}"))
    assert blocked.outcome == Outcome.BLOCKED_ADDRESS

    guarded.UPTIME_ALLOWED_PRIVATE_NETWORKS = []
    assert kinds.executor_for("tcp").run(
        CheckSpec(kind="tcp", url=f"tcp://127.0.0.1:{listener}")
    ).outcome == Outcome.BLOCKED_ADDRESS


def test_a_network_that_is_not_one_stops_start_up_with_its_name():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local",
             "UPTIME_ALLOWED_PRIVATE_NETWORKS": "10.0.0.0/8,not-a-network"},
    )

    assert result.returncode != 0
    assert "UPTIME_ALLOWED_PRIVATE_NETWORKS: 'not-a-network' is not a network" in result.stderr
