"""Publish the changes a check does not make: monitors created, edited, paused, resumed and
deleted, incidents acknowledged and their updates posted, whoever made them (admin, API, web,
shell); and close the sockets of an API token that was revoked or a browser session that
logged out.

Checks publish their own results and incident transitions (monitors/checking.py). These
receivers publish only after the transaction commits, so a dashboard never shows a change that
rolled back, and they build the event when the row is saved, so it shows that save's state.
"""

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken

from incidents.models import IncidentEvent, IncidentUpdate
from monitors.models import Monitor

from . import live


def publish_on_commit(owner_id: int, event: dict) -> None:
    transaction.on_commit(lambda: live.publish(owner_id, event), robust=True)


@receiver(pre_save, sender=Monitor, dispatch_uid="live.remember_paused")
def remember_paused(sender, instance: Monitor, raw: bool = False, **kwargs) -> None:
    # The stored value, not the one the instance was loaded with: pause() on a stale instance
    # of a monitor that is already paused is not a "paused" event.
    if raw or instance._state.adding:
        return
    instance._live_was_paused = (
        Monitor.objects.filter(pk=instance.pk).values_list("is_paused", flat=True).first()
    )


@receiver(post_save, sender=Monitor, dispatch_uid="live.publish_monitor_saved")
def publish_monitor_saved(sender, instance: Monitor, created: bool, raw: bool = False,
                          **kwargs) -> None:
    if raw:
        return
    was_paused = getattr(instance, "_live_was_paused", None)
    if created:
        kind = "monitor.created"
    elif was_paused is not None and was_paused != instance.is_paused:
        kind = "monitor.paused" if instance.is_paused else "monitor.resumed"
    else:
        kind = "monitor.updated"
    publish_on_commit(instance.owner_id, {"type": kind, "monitor": live.monitor_state(instance)})


@receiver(post_delete, sender=Monitor, dispatch_uid="live.publish_monitor_deleted")
def publish_monitor_deleted(sender, instance: Monitor, **kwargs) -> None:
    # Django clears instance.pk after the delete, before the commit: capture it now.
    owner_id, monitor_id = instance.owner_id, instance.pk
    transaction.on_commit(
        lambda: live.publish_monitor_deleted(owner_id, monitor_id), robust=True
    )


@receiver(post_save, sender=IncidentEvent, dispatch_uid="live.publish_acknowledged")
def publish_acknowledged(sender, instance: IncidentEvent, created: bool, raw: bool = False,
                         **kwargs) -> None:
    # Opened and resolved are published by the check that caused them; only an
    # acknowledgement happens outside a check.
    if raw or not created or instance.kind != IncidentEvent.Kind.ACKNOWLEDGED:
        return
    incident = instance.incident
    monitor = incident.monitor
    publish_on_commit(monitor.owner_id, {
        "type": "incident.acknowledged",
        "monitor": live.monitor_state(monitor),
        "incident": live.incident_state(incident),
    })


@receiver(post_save, sender=IncidentUpdate, dispatch_uid="live.publish_update_posted")
def publish_update_posted(sender, instance: IncidentUpdate, raw: bool = False,
                          **kwargs) -> None:
    # Posted from the API, the web or the admin (which may also edit one): the incident's
    # cards refetch, and the status pages of its monitor re-render (live.py).
    if not raw:
        publish_incident_updated(instance)


@receiver(post_delete, sender=IncidentUpdate, dispatch_uid="live.publish_update_removed")
def publish_update_removed(sender, instance: IncidentUpdate, origin=None, **kwargs) -> None:
    # Removed by hand (the admin), not with its incident or monitor: those say so themselves.
    origin_model = getattr(origin, "model", type(origin))
    if origin_model is IncidentUpdate:
        publish_incident_updated(instance)


def publish_incident_updated(update: IncidentUpdate) -> None:
    incident = update.incident
    monitor = incident.monitor
    publish_on_commit(monitor.owner_id, {
        "type": "incident.updated",
        "monitor": live.monitor_state(monitor),
        "incident": live.incident_state(incident),
        "update": live.update_state(update),
    })


@receiver(post_delete, sender=AuthToken, dispatch_uid="live.close_revoked_token_sockets")
def close_revoked_token_sockets(sender, instance: AuthToken, **kwargs) -> None:
    # Logout, logout-all, an admin deleting the token, knox pruning an expired one.
    group = live.revocation_group(token_key=instance.token_key)
    transaction.on_commit(lambda: live.close_sockets(group), robust=True)


@receiver(user_logged_out, dispatch_uid="live.close_logged_out_session_sockets")
def close_logged_out_session_sockets(sender, request, user, **kwargs) -> None:
    # Sent before the session is flushed, so its key still names the sockets to close.
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        live.close_sockets(live.revocation_group(session_key=session_key))
