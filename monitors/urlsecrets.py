"""A password in a monitor's URL (postgres://user:password@…, redis://:password@…) is
write-only, like request headers: what is shown carries `***` in its place, and a URL sent back
with `***` keeps the saved password."""

from urllib.parse import urlsplit, urlunsplit

MASK = "***"


def _split_password(url: str) -> tuple[object, str, str | None, str]:
    """(parts, userinfo before the password, the raw password or None, host and port)."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return parts, "", None, parts.netloc
    user, colon, password = userinfo.partition(":")
    return parts, user, password if colon else None, hostport


def mask_password(url: str) -> str:
    """`url` with the password (if any) replaced by ***."""
    if "@" not in url:  # every live event shows a URL: most have no credentials to parse
        return url
    try:
        parts, user, password, hostport = _split_password(url)
    except ValueError:
        return url
    if password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostport}"))


def has_masked_password(url: str) -> bool:
    try:
        return _split_password(url)[2] == MASK
    except ValueError:
        return False


def keep_saved_password(url: str, saved_url: str) -> str:
    """`url` with *** replaced by the password of `saved_url` (none if it had none)."""
    parts, user, password, hostport = _split_password(url)
    if password != MASK:
        return url
    saved = _split_password(saved_url)[2] if saved_url else None
    netloc = f"{user}:{saved}@{hostport}" if saved is not None else f"{user}@{hostport}"
    if saved is None and not user:
        netloc = hostport
    return urlunsplit(parts._replace(netloc=netloc))
