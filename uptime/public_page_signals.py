"""Refresh the public status pages that a change outside the live events touches: a page
edited or deleted (and the lookups of its old slug and domain), a monitor on a page deleted,
a maintenance window of one changed. Transitions of monitors and incidents refresh their pages
through uptime.live.publish_events.

After the commit, like every live publish, so a page never shows what rolled back.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from monitors.models import MaintenanceWindow, Monitor
from monitors.status_pages import StatusPage, StatusPageMonitor

from . import public_pages


@receiver(pre_save, sender=StatusPage, dispatch_uid="public_pages.remember_addresses")
def remember_addresses(sender, instance: StatusPage, raw: bool = False, **kwargs) -> None:
    instance._stored_addresses = (
        None if raw or instance._state.adding
        else StatusPage.objects.filter(pk=instance.pk).values_list("slug", "custom_domain").first()
    )


@receiver(post_save, sender=StatusPage, dispatch_uid="public_pages.page_saved")
def page_saved(sender, instance: StatusPage, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    old_slug, old_domain = getattr(instance, "_stored_addresses", None) or ("", "")
    slugs, domains = {old_slug, instance.slug}, {old_domain, instance.custom_domain}
    page_id = instance.pk

    def refresh() -> None:
        public_pages.forget_addresses(slugs=slugs, domains=domains)
        public_pages.refresh_pages([page_id])

    transaction.on_commit(refresh, robust=True)


@receiver(post_delete, sender=StatusPage, dispatch_uid="public_pages.page_deleted")
def page_deleted(sender, instance: StatusPage, **kwargs) -> None:
    page_id, slug, domain = instance.pk, instance.slug, instance.custom_domain

    def forget() -> None:
        public_pages.forget_addresses(slugs=[slug], domains=[domain])
        public_pages.refresh_pages([page_id])  # drops its copy and tells its viewers

    transaction.on_commit(forget, robust=True)


@receiver(pre_delete, sender=Monitor, dispatch_uid="public_pages.monitor_deleted")
def monitor_deleted(sender, instance: Monitor, **kwargs) -> None:
    # Before the delete: afterwards its entries are gone, and nothing says where it was shown.
    page_ids = list(StatusPageMonitor.objects.filter(monitor_id=instance.pk)
                    .values_list("page_id", flat=True))
    if page_ids:
        transaction.on_commit(lambda: public_pages.refresh_pages(page_ids), robust=True)


@receiver(post_save, sender=MaintenanceWindow, dispatch_uid="public_pages.window_saved")
@receiver(post_delete, sender=MaintenanceWindow, dispatch_uid="public_pages.window_deleted")
def window_changed(sender, instance: MaintenanceWindow, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    monitor_id = instance.monitor_id
    transaction.on_commit(
        lambda: public_pages.refresh_pages_of_monitors([monitor_id]), robust=True)
