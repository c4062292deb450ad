"""A Celery worker and beat as real processes, on this test run's database and Redis.

    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        ...
        pipeline.logs()   # the tail of each process's output, for a failure message

Beat dispatches every monitor's PeriodicTask; the worker runs the checks and the
notifications, so a test sees what a person running `make run` would.

The fault tests start, kill and add processes while it runs:

    with Pipeline(tmp_path, pool="threads", beats=2, UPTIME_BEAT_LOCK="false") as pipeline:
        pipeline.kill(pipeline.workers[-1])   # SIGKILL, and wait for it
        pipeline.start_worker()               # another one, with a log of its own
        pipeline.worker_children(pipeline.workers[-1])   # the prefork pool's processes

`pool` is the worker's -P (default: celery's own, prefork); production runs checks on threads.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from .webserver import ROOT, child_env


class Pipeline:
    def __init__(self, log_dir: Path, *, pool: str | None = None, beats: int = 1,
                 **env: str) -> None:
        self.log_dir = log_dir
        self.env = child_env(**env)
        self.pool = pool
        self.beat_count = beats
        self.workers: list[subprocess.Popen] = []
        self.beats: list[subprocess.Popen] = []
        self._processes: list[tuple[object, subprocess.Popen]] = []

    def __enter__(self) -> "Pipeline":
        self.start_worker()
        for _ in range(self.beat_count):
            self.start_beat()
        return self

    def start_worker(self, *, queues: str = "checks,notifications", **env: str
                     ) -> subprocess.Popen:
        """A worker; `env` adds to the pipeline's own (a region's worker: UPTIME_REGION,
        UPTIME_SOURCE_ADDRESS, and queues="checks.<region>")."""
        command = ["worker", "-Q", queues, "--concurrency", "2",
                   "-n", f"e2e-{os.getpid()}-{len(self.workers)}@%h", "--without-gossip",
                   "--without-mingle", "--loglevel", "INFO"]
        if self.pool:
            command += ["-P", self.pool]
        process = self._start(self._log_name("worker", self.workers), command, **env)
        self.workers.append(process)
        return process

    def start_beat(self) -> subprocess.Popen:
        process = self._start(self._log_name("beat", self.beats),
                              ["beat", "--loglevel", "INFO", "--pidfile=", "--max-interval", "1"])
        self.beats.append(process)
        return process

    def log_path(self, process: subprocess.Popen) -> Path:
        return next(Path(log.name) for log, started in self._processes if started is process)

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    @staticmethod
    def worker_children(process: subprocess.Popen) -> list[psutil.Process]:
        return psutil.Process(process.pid).children()

    def _log_name(self, kind: str, started: list) -> str:
        # The first of each keeps the name it always had.
        return f"{kind}.log" if not started else f"{kind}-{len(started) + 1}.log"

    def _start(self, log_name: str, arguments: list[str], **env: str) -> subprocess.Popen:
        log = open(self.log_dir / log_name, "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
        )
        self._processes.append((log, process))
        return process

    def __exit__(self, *exc_info) -> None:
        for _, process in self._processes:
            if process.poll() is None:
                process.terminate()
        for log, process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-3000:]}"
            for log in sorted(self.log_dir.glob("*.log"))
        )

    def wait_for(self, condition, *, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.25)
        pytest.fail(f"timed out after {timeout}s waiting for {what}\n{self.logs()}")
