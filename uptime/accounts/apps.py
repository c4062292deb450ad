from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "uptime.accounts"
    # The label the first migrations were made with: model references ("accounts.TokenDevice")
    # and the migration history keep it.
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
