"""Two-factor sign-in with TOTP (RFC 6238, what every authenticator app speaks) and one-time
recovery codes. Sign-in asks for a code once the user's TwoFactor is confirmed; staff must have
one when UPTIME_STAFF_REQUIRE_2FA is on."""

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import RecoveryCode, TwoFactor

ISSUER = "uptime"
# Codes of the step before and after the current one are accepted too: a phone's clock a few
# seconds off, or a code typed as it changes.
VALID_WINDOW = 1


def is_enabled(user) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


MUST_ENROL_MESSAGE = (
    "Staff accounts on this server sign in with two-factor: set it up in the web app "
    "(Account, Two-factor sign-in) first."
)


def must_enrol(user) -> bool:
    """Staff without a second factor while the server requires one: the API login and the
    admin's refuse them, and a session or token they already hold reaches nothing but the
    web's enrolment page (uptime/accounts/web/middleware.py, uptime/api/authentication.py)."""
    return bool(settings.UPTIME_STAFF_REQUIRE_2FA and user.is_staff and not is_enabled(user))


def start_enrolment(user) -> TwoFactor:
    """A new secret, not yet in force (starting again replaces an unconfirmed one). Refused by
    the caller when two-factor is already on: turning it off first needs the password."""
    two_factor, _ = TwoFactor.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(), "confirmed_at": None, "last_used_step": None},
    )
    return two_factor


def provisioning_uri(two_factor: TwoFactor) -> str:
    label = two_factor.user.email or two_factor.user.get_username()
    return pyotp.TOTP(two_factor.secret).provisioning_uri(name=label, issuer_name=ISSUER)


def _accept_code(two_factor: TwoFactor, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(two_factor.secret)
    now = timezone.now()
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        at = now + timezone.timedelta(seconds=offset * totp.interval)
        step = totp.timecode(at)
        if totp.verify(code, for_time=at, valid_window=0):
            # Claimed with a conditional UPDATE: a code seen once (or an older one) is refused,
            # so a code read over a shoulder cannot be replayed, even by two requests at once.
            claimed = TwoFactor.objects.filter(pk=two_factor.pk).exclude(
                last_used_step__gte=step
            ).update(last_used_step=step)
            return claimed == 1
    return False


def confirm_enrolment(user, code: str) -> list[str] | None:
    """Turn two-factor on with a first code from the app; returns the recovery codes (shown
    once), or None when the code is wrong or no enrolment was started."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()
    if two_factor is None or not _accept_code(two_factor, code):
        return None
    with transaction.atomic():
        TwoFactor.objects.filter(pk=two_factor.pk).update(confirmed_at=timezone.now())
        return RecoveryCode.replace_for(user)


def verify(user, code: str) -> bool:
    """A code from the app, or one of the recovery codes (used up by this)."""
    return verify_app_code(user, code) or (is_enabled(user) and RecoveryCode.use(user, code))


def verify_app_code(user, code: str) -> bool:
    """A code from the app only: what proves the user still holds their authenticator."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    return two_factor is not None and _accept_code(two_factor, code)


def new_recovery_codes(user) -> list[str] | None:
    """Fresh recovery codes in place of every old one (used or not), shown once; None when
    two-factor is off. The caller has checked the password or a code from the app: a recovery
    code does not do, or one leaked code could be turned into ten."""
    with transaction.atomic():
        if not TwoFactor.objects.select_for_update().filter(
            user=user, confirmed_at__isnull=False
        ).exists():
            return None
        return RecoveryCode.replace_for(user)


def disable(user) -> None:
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
