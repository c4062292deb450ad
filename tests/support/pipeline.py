"""A Celery worker and beat as real processes, on this test run's database and Redis.

    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        ...
        pipeline.logs()   # the tail of each process's output, for a failure message

Beat dispatches every monitor's PeriodicTask; the worker runs the checks and the
notifications, so a test sees what a person running `make run` would.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .webserver import ROOT, child_env


class Pipeline:
    def __init__(self, log_dir: Path, **env: str) -> None:
        self.log_dir = log_dir
        self.env = child_env(**env)
        self._processes: list[tuple[object, subprocess.Popen]] = []

    def __enter__(self) -> "Pipeline":
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        commands = {
            "worker": celery + ["worker", "-Q", "checks,notifications", "--concurrency", "2",
                                "-n", f"e2e-{os.getpid()}@%h", "--without-gossip",
                                "--without-mingle", "--loglevel", "INFO"],
            "beat": celery + ["beat", "--loglevel", "INFO", "--pidfile=", "--max-interval", "1"],
        }
        for name, command in commands.items():
            log = open(self.log_dir / f"{name}.log", "w")
            self._processes.append((log, subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )))
        return self

    def __exit__(self, *exc_info) -> None:
        for _, process in self._processes:
            process.terminate()
        for log, process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.log_dir.glob("*.log")
        )

    def wait_for(self, condition, *, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.25)
        pytest.fail(f"timed out after {timeout}s waiting for {what}\n{self.logs()}")
