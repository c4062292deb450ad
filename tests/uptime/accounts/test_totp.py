"""uptime/accounts/totp.py on its own: enrolment, the accepted window of codes, and a code refused
the second time."""

import time

import pyotp
import pytest

from uptime.accounts import totp
from uptime.accounts.models import TwoFactor

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(alice) -> pyotp.TOTP:
    two_factor = totp.start_enrolment(alice)
    return pyotp.TOTP(two_factor.secret)


def clear_of_a_step_change(app: pyotp.TOTP) -> float:
    """Now, unless a step ends within 3 s: then just after it, so that the code computed here
    and the one the server expects belong to the same step."""
    into_step = time.time() % app.interval
    if into_step > app.interval - 3:
        time.sleep(app.interval - into_step + 0.1)
    return time.time()


def code(app: pyotp.TOTP, now: float, steps: int) -> str:
    return app.at(now + steps * app.interval)


def test_enrolment_is_in_force_only_once_confirmed(alice, app):
    assert not totp.is_enabled(alice)
    assert totp.verify(alice, app.now()) is False  # not confirmed: nothing to verify against

    codes = totp.confirm_enrolment(alice, app.now())

    assert codes is not None and len(codes) == 10
    assert totp.is_enabled(alice)


def test_a_wrong_first_code_does_not_turn_it_on(alice, app):
    now = clear_of_a_step_change(app)

    assert totp.confirm_enrolment(alice, code(app, now, 5)) is None
    assert not totp.is_enabled(alice)


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_a_code_up_to_one_step_off_is_accepted(alice, app, steps):
    # A phone's clock a little off, or a code typed as it changes.
    now = clear_of_a_step_change(app)

    assert totp.confirm_enrolment(alice, code(app, now, steps))


@pytest.mark.parametrize("steps", [-2, 2])
def test_a_code_two_steps_off_is_refused(alice, app, steps):
    now = clear_of_a_step_change(app)

    assert totp.confirm_enrolment(alice, code(app, now, steps)) is None


def test_a_code_is_accepted_once_and_never_an_older_one(alice, app):
    now = clear_of_a_step_change(app)
    totp.confirm_enrolment(alice, code(app, now, -1))

    assert totp.verify(alice, code(app, now, 0))
    assert not totp.verify(alice, code(app, now, 0))  # replayed
    assert not totp.verify(alice, code(app, now, -1))  # older than the one used
    assert totp.verify(alice, code(app, now, 1))
    step_used = int(now // app.interval) + 1
    assert TwoFactor.objects.get(user=alice).last_used_step == step_used


def test_only_verify_takes_a_recovery_code(alice, app):
    codes = totp.confirm_enrolment(alice, app.now())

    assert not totp.verify_app_code(alice, codes[0])
    assert totp.verify(alice, codes[0])


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_what_is_not_six_digits_is_refused(alice, app, typed):
    totp.confirm_enrolment(alice, app.now())
    assert not totp.verify_app_code(alice, typed)


def test_spaces_in_a_code_are_ignored(alice, app):
    now = clear_of_a_step_change(app)
    right = code(app, now, 0)

    assert totp.confirm_enrolment(alice, f"{right[:3]} {right[3:]}")


def test_turning_it_off_drops_the_secret_and_the_recovery_codes(alice, app):
    codes = totp.confirm_enrolment(alice, app.now())
    totp.disable(alice)

    assert not totp.is_enabled(alice)
    assert not totp.verify(alice, codes[0])
