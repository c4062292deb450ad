"""`make run`: the whole topology in the foreground, in one terminal, stopped by Ctrl-C."""

import os
import signal
import socket
import subprocess
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from uptime import embedded_redis
from uptime.devadmin import ensure_dev_admin
from uptime.stack import child_env, stack_commands

# Past this the address is printed anyway: a slow first start must not hide it.
READY_TIMEOUT_SECONDS = 60
SETTLE_SECONDS = 0.5


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run web (daphne), the checks and notifications workers and beat until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options) -> None:
        children: list[tuple[str, subprocess.Popen]] = []
        redis_process = None
        if settings.EMBEDDED_REDIS and not embedded_redis.is_running(
            settings.EMBEDDED_REDIS_SOCKET
        ):
            redis_process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
            self.stdout.write(f"embedded redis on {settings.EMBEDDED_REDIS_SOCKET}")

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        login = ensure_dev_admin() if self.is_embedded_dev() else None

        commands = stack_commands(host=host, port=port)
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # Own process group, so Ctrl-C reaches us once and we stop the children in order.
                children.append((name, subprocess.Popen(
                    command, start_new_session=True, env=child_env(name)
                )))
            # The children print their banners and ready lines as they start; the address and
            # the login come after them, so they are what is left on screen.
            self.wait_until_ready(host, port, children, lambda: stopping)
            if stopping:
                return
            self.stdout.write(self.style.SUCCESS(f"\nuptime is running at http://{host}:{port}/"))
            self.stdout.write(f"admin: http://{host}:{port}/admin/")
            if login:
                username, password = login
                shown = password or "(changed since first run)"
                self.stdout.write(f"dev-only admin login: {username} / {shown}")
            self.stdout.write("Ctrl-C stops everything.\n")
            while not stopping:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, child in children:
                if child.poll() is None:
                    child.terminate()
            for _, child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    # The whole group: the checks launcher's workers are in it too.
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            if redis_process is not None:
                embedded_redis.stop(redis_process)
            self.stdout.write("stopped.")

    def wait_until_ready(self, host: str, port: int, children, stopping,
                         timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Until the web port answers and every worker answers a ping (or a child exits, or
        Ctrl-C, or the timeout: then the block is printed anyway)."""
        from config.celery_app import app

        web = "127.0.0.1" if host in ("0.0.0.0", "") else host.strip("[]")
        expected = {"notifications@": 1, "checks": settings.UPTIME_CHECKS_PROCESSES}
        deadline = time.monotonic() + timeout
        web_up = False
        while time.monotonic() < deadline and not stopping():
            if any(child.poll() is not None for _, child in children):
                return
            if not web_up:
                web_up = port_answers(web, port)
                time.sleep(0 if web_up else 0.2)
                continue
            replies = [name for reply in app.control.ping(timeout=0.5) for name in reply]
            if all(sum(name.startswith(prefix) for name in replies) >= count
                   for prefix, count in expected.items()):
                # A worker logs its ready line as it starts answering; let the lines land.
                time.sleep(SETTLE_SECONDS)
                return

    @staticmethod
    def is_embedded_dev() -> bool:
        engine = settings.DATABASES["default"]["ENGINE"]
        return settings.EMBEDDED_REDIS and engine.endswith("sqlite3")
