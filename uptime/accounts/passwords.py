"""Changing and resetting a password: the rules both share."""

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .sessions import sign_out_everywhere


def set_new_password(user, new_password: str, *, keep_token=None,
                     keep_session_key: str | None = None) -> None:
    """Validate with Django's validators (ValidationError with their messages), save, and sign
    out everywhere else: whoever knew the old password no longer holds a way in."""
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    sign_out_everywhere(user, except_token=keep_token, except_session_key=keep_session_key)


def reset_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL}/accounts/password/reset/{uid}/{token}/"


def send_reset_mail(email: str) -> None:
    """Mail a one-time reset link to each active account with this email; nothing (and no
    sign of it) when there is none. Django's token embeds the password hash and last login,
    so the link stops working once it has been used."""
    users = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)
    for user in users:
        if not user.has_usable_password():
            continue
        context = {
            "user": user, "link": reset_link(user), "site_url": settings.SITE_URL,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        send_mail(
            subject=render_to_string("accounts/reset_subject.txt", context).strip(),
            message=render_to_string("accounts/reset_email.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )


def user_for_reset(uid: str, token: str):
    """The user a reset link is for, or None when the link is malformed, used or expired."""
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        user = get_user_model().objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


def reset_password(uid: str, token: str, new_password: str) -> None:
    user = user_for_reset(uid, token)
    if user is None:
        raise ValidationError({"token": ["This reset link is invalid, used or expired."]})
    try:
        set_new_password(user, new_password)
    except ValidationError as error:
        raise ValidationError({"new_password": list(error.messages)}) from error
