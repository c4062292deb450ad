"""What the probe tests share: a probe allowed onto loopback, and a stopwatch."""

import time

from monitors.probe import HttpProbe

# Room for thread scheduling and teardown on a busy CI machine.
DEADLINE_SLACK_SECONDS = 1.5


def probe(**options) -> HttpProbe:
    return HttpProbe(**{"allow_private": True, "user_agent": "uptime-tests", **options})


def timed(run):
    started = time.monotonic()
    result = run()
    return result, time.monotonic() - started
