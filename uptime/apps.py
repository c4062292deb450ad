from django.apps import AppConfig


class UptimeConfig(AppConfig):
    name = "uptime"
    verbose_name = "Uptime"

    def ready(self) -> None:
        # Every process that can change a monitor (web, workers, manage.py) must publish it.
        from . import live_signals, public_page_signals  # noqa: F401
        from .database import cap_pool_reconnect_backoff
        from .registration import log_private_network_warning

        # Importing the module registers its system check (uptime.E001, uptime.W001).
        log_private_network_warning()
        # A database restart costs a worker a second or two, not the pool's growing backoff.
        cap_pool_reconnect_backoff()
