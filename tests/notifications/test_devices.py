import pytest
from django.core.exceptions import ValidationError

from notifications.models import Device
from notifications.validators import validate_apns_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "0f" * 32


def test_register_creates_then_refreshes_one_row(alice):
    first, created = Device.register(alice, TOKEN, name="iPhone")
    again, created_again = Device.register(alice, TOKEN.upper(), name="iPhone 16")

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert again.name == "iPhone 16"
    assert again.last_seen_at >= first.last_seen_at


def test_details_left_out_are_kept(alice):
    Device.register(alice, TOKEN, name="iPhone", platform="ipados")

    device, _ = Device.register(alice, TOKEN)

    assert (device.name, device.platform) == ("iPhone", "ipados")


def test_registering_reactivates_a_device(alice):
    device, _ = Device.register(alice, TOKEN)
    Device.objects.filter(pk=device.pk).update(is_active=False)

    device, _ = Device.register(alice, TOKEN)

    assert device.is_active


def test_a_token_moves_to_the_account_that_signed_in_last(alice, charlie):
    Device.register(alice, TOKEN)

    Device.register(charlie, TOKEN)

    assert list(Device.objects.values_list("owner__username", flat=True)) == ["charlie"]


def test_two_accounts_own_different_tokens_independently(alice):
    other = UserFactory()
    Device.register(alice, TOKEN)
    Device.register(other, "ab" * 32)

    assert Device.objects.count() == 2


@pytest.mark.parametrize("token", ["0f" * 32, "ABCDEF01" * 8, "ab" * 100])
def test_valid_tokens(token):
    validate_apns_token(token)


@pytest.mark.parametrize("token", ["", "0f" * 31, "0f" * 32 + "0", "0g" * 32, "ab" * 101])
def test_invalid_tokens(token):
    with pytest.raises(ValidationError):
        validate_apns_token(token)
