"""The lockout, enforced inside authenticate(): every sign-in path (web, admin, API, the
browsable API's login, any added later) goes through it, so none can be forgotten."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from . import lockout

# Set on the request when a sign-in was refused for a lockout: how many seconds are left.
LOCKED_ATTRIBUTE = "sign_in_locked_for"


class LockoutBackend(ModelBackend):
    """First in AUTHENTICATION_BACKENDS. Its authenticate() never signs anyone in; while the
    address or the account is locked it raises PermissionDenied, which makes authenticate()
    stop before ModelBackend checks the password.

    It is a ModelBackend for the rest (get_user, permissions): a session made with
    force_login() or login() without a backend records the first backend's path. ModelBackend
    stays listed for the password, and for sessions signed in before this one existed.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return None
        address = lockout.client_address(request)
        account = lockout.account_key(username)
        seconds = lockout.seconds_locked(address, account)
        if seconds:
            setattr(request, LOCKED_ATTRIBUTE, seconds)
            lockout.logger.warning(
                "sign-in refused (locked for %d s): account %s from %s via %s",
                seconds, account, address, request.path,
            )
            raise PermissionDenied
        return None


def seconds_locked(request) -> int:
    return getattr(request, LOCKED_ATTRIBUTE, 0)


def record_failure(request, identifier: str) -> int:
    """A failed password or second-factor code: counted, and the request marked if it locked."""
    seconds = lockout.record_failure(
        lockout.client_address(request), lockout.account_key(identifier), path=request.path
    )
    if seconds:
        setattr(request, LOCKED_ATTRIBUTE, seconds)
    return seconds


@receiver(user_login_failed, dispatch_uid="accounts.count_failed_sign_in")
def count_failed_sign_in(sender, credentials: dict, request=None, **kwargs) -> None:
    if request is None or seconds_locked(request):
        return  # refused for the lockout: no password was checked, nothing new to count
    # The lock this failure may start is not reported on its answer, which is about this
    # attempt's wrong password: the next attempt is the one refused.
    lockout.record_failure(
        lockout.client_address(request),
        lockout.account_key(credentials.get("username") or ""),
        path=request.path,
    )


@receiver(user_logged_in, dispatch_uid="accounts.reset_failed_sign_ins")
def reset_failed_sign_ins(sender, request, user, **kwargs) -> None:
    lockout.record_success(f"user:{user.pk}")
