from django.apps import AppConfig


class UptimeConfig(AppConfig):
    name = "uptime"
    verbose_name = "Uptime"

    def ready(self) -> None:
        # Every process that can change a monitor (web, workers, manage.py) must publish it.
        from . import live_signals  # noqa: F401
        from .registration import log_private_network_warning

        # Importing the module registers its system check (uptime.E001, uptime.W001).
        log_private_network_warning()
