from .base import Transport


class ApnsTransport(Transport):
    """An alert to every active device of the channel's owner, through Apple Push (APNs)."""

    kind = "apns"
