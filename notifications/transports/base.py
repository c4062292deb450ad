from notifications.messages import Notification


class TransportError(Exception):
    """A failed delivery. permanent=True means retrying cannot help (bad config, 4xx).
    retry_after: the seconds the provider asked us to wait (a 429's Retry-After), if any."""

    def __init__(self, message: str, *, permanent: bool = False, response: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.response = response
        self.retry_after = retry_after


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
