from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import backends  # noqa: F401  (its receivers count failed sign-ins)
from .sessions import remember_browser_session


@receiver(user_logged_in, dispatch_uid="accounts.remember_browser_session")
def browser_session_signed_in(sender, request, user, **kwargs) -> None:
    if request is not None:
        remember_browser_session(request, user)
