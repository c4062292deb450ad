from .base import Transport


class TelegramTransport(Transport):
    """A message from a Telegram bot to a chat."""

    kind = "telegram"
