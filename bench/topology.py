"""The processes under test: the checks worker and beat exactly as `make run` starts them."""

import sys

from django.conf import settings


def stack_commands() -> dict[str, list[str]]:
    """The checks worker's and beat's command lines.

    A copy of uptime/management/commands/runstack.py's (its commands are built inside
    handle()); the day runstack exposes them as a function the bench imports it instead, so
    the two cannot drift apart.
    """
    python = sys.executable
    return {
        "checks": [python, "-m", "celery", "-A", "config", "worker", "-Q", "checks",
                   "-n", "checks@%h", "--pool", settings.UPTIME_CHECKS_POOL,
                   "--concurrency", str(settings.UPTIME_CHECKS_CONCURRENCY),
                   "--loglevel", settings.UPTIME_CHECKS_LOG_LEVEL,
                   "--without-gossip", "--without-mingle"],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                 "--pidfile="],
    }
