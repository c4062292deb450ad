from .base import Transport


class SlackTransport(Transport):
    """A message to a Slack incoming webhook."""

    kind = "slack"
