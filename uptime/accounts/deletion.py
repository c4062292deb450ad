"""Deleting an account and everything it owns, for the user who asks (App Store Review
Guideline 5.1.1(v): an app that creates accounts must let them be deleted from inside it)."""

from django.db import transaction

from monitors.models import Monitor

from . import lockout
from .sessions import sign_out_everywhere


def delete_account(user) -> None:
    """Sign the user out everywhere (closing their sockets), then delete their monitors
    (each one's PeriodicTask goes with it: monitors/signals.py) and the user, whose channels,
    devices, status pages, tokens and two-factor rows cascade. Incidents of other users'
    monitors they acknowledged or posted on keep the note but no longer name them (SET_NULL)."""
    with transaction.atomic():
        sign_out_everywhere(user)
        # One by one, not by cascade from the user: the post_delete receivers that remove a
        # monitor's schedule and tell its dashboards run per row either way, and this keeps
        # the order (schedules before the user) plain.
        Monitor.objects.filter(owner=user).delete()
        account = f"user:{user.pk}"
        user.delete()
    lockout.forget_account(account)
