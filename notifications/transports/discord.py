from .base import Transport


class DiscordTransport(Transport):
    """A message to a Discord channel webhook."""

    kind = "discord"
