"""uptime.accounts.models.RecoveryCode and totp.new_recovery_codes: each code works once, is stored
only as a digest, and new codes end the old ones."""

import pyotp
import pytest

from uptime.accounts import totp
from uptime.accounts.models import RECOVERY_CODE_COUNT, RecoveryCode

pytestmark = pytest.mark.django_db


def test_a_code_works_once(alice):
    codes = RecoveryCode.replace_for(alice)

    assert RecoveryCode.use(alice, codes[0])
    assert not RecoveryCode.use(alice, codes[0])
    assert RecoveryCode.objects.filter(user=alice).count() == RECOVERY_CODE_COUNT - 1


def test_a_code_is_typed_without_care_for_case_dashes_or_spaces(alice):
    code = RecoveryCode.replace_for(alice)[0]

    assert RecoveryCode.use(alice, f" {code.upper().replace('-', ' ')} ")


def test_a_code_is_only_its_owners(alice, charlie):
    code = RecoveryCode.replace_for(alice)[0]

    assert not RecoveryCode.use(charlie, code)
    assert RecoveryCode.use(alice, code)


def test_codes_are_stored_as_digests_only(alice):
    codes = RecoveryCode.replace_for(alice)
    stored = set(RecoveryCode.objects.filter(user=alice).values_list("digest", flat=True))

    assert len(set(codes)) == len(stored) == RECOVERY_CODE_COUNT
    assert not stored & set(codes)
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)


def test_new_codes_replace_every_old_one(alice):
    two_factor = totp.start_enrolment(alice)
    old = totp.confirm_enrolment(alice, pyotp.TOTP(two_factor.secret).now())
    RecoveryCode.use(alice, old[0])

    new = totp.new_recovery_codes(alice)

    assert len(new) == RECOVERY_CODE_COUNT and not set(new) & set(old)
    assert not any(RecoveryCode.use(alice, code) for code in old)
    assert RecoveryCode.use(alice, new[0])


def test_no_new_codes_without_two_factor_on(alice):
    totp.start_enrolment(alice)  # started, never confirmed

    assert totp.new_recovery_codes(alice) is None
    assert not RecoveryCode.objects.filter(user=alice).exists()
