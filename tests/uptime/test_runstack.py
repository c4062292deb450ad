"""`make run` (manage.py runstack) shows the address last: after every process's start-up
banner and ready line, so it is what a person sees when the terminal settles."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

from tests.support.webserver import ROOT, child_env, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

START_TIMEOUT_SECONDS = 120


def run_stack_until_started(port: int) -> list[str]:
    """Start the real stack on this run's database and Redis, read its terminal output until
    it has printed its address block, stop it with Ctrl-C, and return every line."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=ROOT, env=child_env(PYTHONUNBUFFERED="1"), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "Ctrl-C stops everything." in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        started.wait(START_TIMEOUT_SECONDS)
        time.sleep(1)  # anything a child prints just after the block would land here
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)
    assert started.is_set(), "runstack never printed its address:\n" + "\n".join(lines)
    return lines


def test_the_address_comes_after_every_process_has_started():
    port = free_port()
    lines = run_stack_until_started(port)
    output = "\n".join(lines)

    block = next(i for i, line in enumerate(lines) if "uptime is running at" in line)
    before = lines[:block]
    assert any(f"Listening on TCP address 127.0.0.1:{port}" in line for line in before), output
    # Each worker process prints a banner with its queues (the notifications worker's names
    # it); beat its banner.
    workers = settings.UPTIME_CHECKS_PROCESSES + 1
    assert sum("[queues]" in line for line in before) == workers, output
    assert any("notifications@" in line for line in before), output
    assert any("celery beat" in line and "is starting" in line for line in before), output
    assert lines[block:block + 2] == [
        f"uptime is running at http://127.0.0.1:{port}/",
        f"admin: http://127.0.0.1:{port}/admin/",
    ], output
    assert "stopped." in lines[-3:], output
