from django.apps import AppConfig


class UptimeConfig(AppConfig):
    name = "uptime"
    verbose_name = "Uptime"

    def ready(self) -> None:
        # Every process that can change a monitor (web, workers, manage.py) must publish it.
        from . import live_signals  # noqa: F401
