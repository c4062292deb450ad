"""Failed sign-ins counted per client address and per account, in the shared Redis cache, so
every web process locks out the same guesser: the web login, the admin login and the API's.

An address that fails UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT times (on any accounts) within
UPTIME_LOGIN_LOCKOUT_SECONDS is refused for that long; an account that fails
UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT times (from any addresses) likewise. While a lock holds, even
the right password is refused (uptime/accounts/backends.py raises before any password is checked),
so guessing on costs the guesser time and learns nothing.

The account limit is lower than the address limit: one address is one guesser, and a botnet
trying one account from many addresses is stopped by the account's count alone. The price is
that a guesser can keep one account locked; the lock is short and lifts by itself.
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("uptime.accounts.sign_in")


def client_address(request) -> str:
    # The API throttles' own reading: REMOTE_ADDR, or X-Forwarded-For behind
    # UPTIME_API_NUM_PROXIES proxies, never a header a client could vary at will.
    return BaseThrottle().get_ident(request)


def account_key(identifier: str) -> str:
    """One key per account whatever it was called by (username, email, their case), so that
    the web's username and the API's email count together; an unknown name counts on its own."""
    identifier = (identifier or "").strip().lower()
    users = get_user_model().objects
    match = list(users.filter(username__iexact=identifier).values_list("pk", flat=True)[:2])
    if len(match) != 1:
        match = list(users.filter(email__iexact=identifier).values_list("pk", flat=True)[:2])
    return f"user:{match[0]}" if len(match) == 1 else f"name:{identifier}"


def _keys(address: str, account: str) -> list[tuple[str, str, int]]:
    return [
        ("address", address, settings.UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT),
        ("account", account, settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT),
    ]


def seconds_locked(address: str, account: str) -> int:
    """How long sign-ins from this address, or to this account, are refused (0: not locked)."""
    now = time.time()
    keys = [f"sign-in-lock:{kind}:{value}" for kind, value, _ in _keys(address, account)]
    locks = cache.get_many(keys)
    return max([0, *(int(until - now) + 1 for until in locks.values() if until > now)])


def record_failure(address: str, account: str, *, path: str) -> int:
    """Count one failed sign-in; returns how long the address or account is now locked."""
    window = settings.UPTIME_LOGIN_LOCKOUT_SECONDS
    for kind, value, limit in _keys(address, account):
        key = f"sign-in-failures:{kind}:{value}"
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
        if failures >= limit:
            cache.set(f"sign-in-lock:{kind}:{value}", time.time() + window, timeout=window)
            cache.delete(key)
            logger.warning(
                "sign-in locked for %d s: %s %s after %d failures (last via %s)",
                window, kind, value, failures, path,
            )
    logger.warning("sign-in failed: account %s from %s via %s", account, address, path)
    return seconds_locked(address, account)


def record_success(account: str) -> None:
    # The account's count starts again; the address's does not, or a guesser with one account
    # of their own could sign in to it between guesses and never be locked out.
    cache.delete(f"sign-in-failures:account:{account}")


def forget_account(account: str) -> None:
    """Drop an account's counters (a deleted account leaves nothing behind that names it)."""
    cache.delete_many([f"sign-in-failures:account:{account}", f"sign-in-lock:account:{account}"])


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed sign-ins from this address or for this account. "
        f"Try again in {minutes} {unit}."
    )
