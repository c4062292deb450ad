"""`make run`: the whole topology in the foreground, in one terminal, stopped by Ctrl-C."""

import os
import signal
import subprocess
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from uptime import embedded_redis
from uptime.devadmin import ensure_dev_admin
from uptime.stack import child_env, stack_commands


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

    @staticmethod
    def is_embedded_dev() -> bool:
        engine = settings.DATABASES["default"]["ENGINE"]
        return settings.EMBEDDED_REDIS and engine.endswith("sqlite3")
