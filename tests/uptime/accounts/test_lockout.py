"""uptime/accounts/lockout.py on its own: failures counted per address and per account in the shared
Redis, the lock they start, and what a success resets."""

import time

import pytest

from uptime.accounts import lockout

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.70"


@pytest.fixture
def limits(settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    settings.UPTIME_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    settings.UPTIME_LOGIN_LOCKOUT_SECONDS = 900


def fail(address: str, account: str, times: int = 1) -> int:
    locked = 0
    for _ in range(times):
        locked = lockout.record_failure(address, account, path="/test/")
    return locked


def test_an_account_locks_at_its_limit_from_any_addresses(limits):
    assert fail("198.51.100.1", "user:1") == 0
    assert fail("198.51.100.2", "user:1") == 0
    seconds = fail("198.51.100.3", "user:1")

    assert 899 <= seconds <= 901
    assert lockout.seconds_locked("198.51.100.4", "user:1") == seconds
    assert lockout.seconds_locked("198.51.100.4", "user:2") == 0


def test_an_address_locks_at_its_limit_on_any_accounts(limits):
    for n in range(4):
        assert fail(ADDRESS, f"user:{n}") == 0
    assert fail(ADDRESS, "user:9") > 0

    assert lockout.seconds_locked(ADDRESS, "user:10") > 0
    assert lockout.seconds_locked("198.51.100.5", "user:10") == 0


def test_a_success_resets_the_accounts_count_but_not_the_addresss(limits):
    fail(ADDRESS, "user:1", times=2)
    lockout.record_success("user:1")
    assert fail(ADDRESS, "user:1", times=2) == 0  # 2 of 3 again, not 4

    fail(ADDRESS, "user:2", times=1)  # the address's fifth failure
    assert lockout.seconds_locked(ADDRESS, "user:3") > 0


def test_the_lock_lifts_by_itself(settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 1
    settings.UPTIME_LOGIN_LOCKOUT_SECONDS = 1
    assert fail(ADDRESS, "user:1") > 0

    time.sleep(1.2)

    assert lockout.seconds_locked(ADDRESS, "user:1") == 0


def test_forgetting_an_account_drops_its_count_and_lock(limits):
    fail("198.51.100.1", "user:1", times=3)
    lockout.forget_account("user:1")

    assert lockout.seconds_locked("198.51.100.9", "user:1") == 0
    assert fail("198.51.100.9", "user:1", times=2) == 0


def test_an_account_counts_as_one_by_username_or_email_in_any_case(alice):
    key = f"user:{alice.pk}"

    assert lockout.account_key("alice") == key
    assert lockout.account_key(" ALICE@example.com ") == key
    assert lockout.account_key("nobody") == "name:nobody"


@pytest.mark.parametrize(("seconds", "wait"), [(1, "1 minute"), (60, "1 minute"),
                                               (61, "2 minutes"), (900, "15 minutes")])
def test_the_wait_message_rounds_up_to_minutes(seconds, wait):
    assert lockout.wait_message(seconds).endswith(f"Try again in {wait}.")
