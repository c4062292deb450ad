from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "monitors"

    def ready(self) -> None:
        # Model signals, and the checks workers' announcements of their regions.
        from . import regions, signals  # noqa: F401
