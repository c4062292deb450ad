"""How many monitors one user may own (UPTIME_MAX_MONITORS_PER_USER).

Every monitor is a schedule that beat runs forever, so one account could otherwise fill the
check queue for everybody.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError


def ensure_monitor_quota(owner) -> None:
    """Raise ValidationError if `owner` may not add another monitor. Call inside the
    transaction that creates it: the owner's row stays locked until then, so two requests at
    once cannot both take the last place."""
    get_user_model().objects.select_for_update().get(pk=owner.pk)
    limit = settings.UPTIME_MAX_MONITORS_PER_USER
    if owner.monitors.count() >= limit:
        raise ValidationError(
            "You have reached the limit of %(limit)s monitors: delete one to add another.",
            code="monitor_quota",
            params={"limit": limit},
        )
