from notifications.messages import Notification


class TransportError(Exception):
    """A failed delivery. permanent=True means retrying cannot help (bad config, 4xx)."""

    def __init__(self, message: str, *, permanent: bool = False, response: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.response = response


class Transport:
    kind: str = ""

    def __init__(self, channel) -> None:
        self.channel = channel
        self.config = channel.config or {}

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        """Messages for what is wrong with a channel's config; empty when it is valid."""
        return []

    def notify(self, notification: Notification) -> str:
        """Deliver one notification; return what the provider answered, or raise TransportError."""
        raise NotImplementedError
