"""The processes of the whole topology, as `make run` starts them and `make bench` measures
them: one definition, so the benchmark cannot drift from what a user runs."""

import os
import sys

from django.conf import settings


def stack_commands(*, host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    return {
        "web": [python, "-m", "daphne", "-b", host, "-p", str(port), "config.asgi:application"],
        # Hundreds of checks in flight per process, a process per core: see UPTIME_CHECKS_* in
        # settings and uptime/checks_workers.py. Gossip and mingle only cost CPU here: nothing
        # uses what workers tell each other.
        "checks": [python, "-m", "uptime.checks_workers", str(settings.UPTIME_CHECKS_PROCESSES),
                   *celery, "worker", "-Q", "checks", "-n", "checks{n}@%h",
                   "--pool", settings.UPTIME_CHECKS_POOL,
                   "--concurrency", str(settings.UPTIME_CHECKS_CONCURRENCY),
                   "--loglevel", settings.UPTIME_CHECKS_LOG_LEVEL,
                   "--without-gossip", "--without-mingle"],
        "notifications": celery + ["worker", "-Q", "notifications", "-n", "notifications@%h",
                                   "--concurrency", "2",
                                   "--loglevel", settings.UPTIME_NOTIFICATIONS_LOG_LEVEL],
        "beat": celery + ["beat", "--loglevel", "INFO", "--pidfile="],
    }


def child_env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    if name in ("checks", "beat"):
        # DEBUG is for the web's error pages. In the checks worker and beat it would only wrap
        # every query in Django's debug cursor and keep the last thousands of them in memory.
        env["DEBUG"] = "0"
    return env
