"""The README's crontab lines, run as written: curl against the project served by daphne."""

import subprocess

import pytest

from monitors.models import CheckResult, Monitor, Ping
from monitors.outcomes import Outcome
from tests.factories import MonitorFactory
from tests.support.webserver import WebServer, child_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path):
    server = WebServer(env=child_env(), log_path=tmp_path / "daphne.log").start()
    yield server
    server.stop()


def curl(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-fsS", "-m", "10", *args], input=stdin,
                          capture_output=True, timeout=30)


# The README's crontab line, with a job that fails: `sh` as cron runs it.
CRONTAB_LINE = (
    "curl -fsS -m 10 --retry 5 -o /dev/null $PING/start; "
    "out=$(sh -c 'echo disk full; echo details; exit 3' 2>&1); "
    'curl -fsS -m 10 --retry 5 -o /dev/null --data-raw "$out" $PING/$?'
)


def test_the_readme_crontab_line_reports_start_exit_code_and_output(server, alice):
    monitor = MonitorFactory(owner=alice, kind=Monitor.Kind.HEARTBEAT, url="",
                             failure_threshold=1)

    run = subprocess.run(["sh", "-c", CRONTAB_LINE], capture_output=True, timeout=60,
                         env={**child_env(), "PING": server.url(f"/ping/{monitor.ping_token}")})

    assert run.returncode == 0, (run.stderr, server.log())
    pings = list(Ping.objects.filter(monitor=monitor).order_by("id")
                 .values_list("kind", "exit_status", "body"))
    assert pings == [("start", None, ""), ("fail", 3, "disk full\ndetails")]
    check = CheckResult.objects.get(monitor=monitor)
    assert check.error == "the job exited with code 3: disk full"


def test_curl_pings_reach_the_monitor(server, alice):
    monitor = MonitorFactory(owner=alice, kind=Monitor.Kind.HEARTBEAT, url="",
                             failure_threshold=1)
    url = server.url(f"/ping/{monitor.ping_token}")

    assert curl("--retry", "3", url).stdout == b"OK\n"
    head = curl("-I", url)
    assert head.returncode == 0 and head.stdout.startswith(b"HTTP/1.1 200")
    assert curl(f"{url}/start").returncode == 0
    # `command 2>&1 | curl --data-binary @- .../$?`: the output is the body.
    output = b"disk full\n" + b"x" * (50 * 1024)
    assert curl("--data-binary", "@-", f"{url}/3", stdin=output).returncode == 0
    refused = curl(f"{url}/256")

    assert refused.returncode == 22 and b"400" in refused.stderr, server.log()
    pings = list(Ping.objects.filter(monitor=monitor).order_by("id"))
    assert [(ping.method, ping.kind) for ping in pings] == [
        ("GET", "success"), ("HEAD", "success"), ("GET", "start"), ("POST", "fail")
    ]
    assert pings[-1].body.encode() == output[:Ping.MAX_BODY_BYTES]
    assert pings[0].user_agent.startswith("curl/")
    assert list(CheckResult.objects.filter(monitor=monitor).order_by("id")
                .values_list("outcome", "error")) == [
        (Outcome.OK, ""), (Outcome.OK, ""),
        (Outcome.HEARTBEAT_FAILED, "the job exited with code 3: disk full"),
    ]
    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.DOWN
