import os

from celery import Celery
from celery.signals import task_postrun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("uptime")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def pin_settings(celery_app: Celery) -> None:
    """Copy every Celery setting's value to the front of the configuration, under the key
    looked up first.

    With config_from_object(namespace="CELERY") each lookup of an unset setting tries four
    spellings against Django's settings (an AttributeError each) before reaching the default:
    about 14 us, twenty-odd times per message sent. A long-running process that sends or
    runs thousands of tasks a second (beat, a checks worker) pins them once at start; it no
    longer sees later changes to django.conf.settings, which such a process never makes.
    """
    from celery.app.defaults import DEFAULTS

    conf = celery_app.conf
    for key in DEFAULTS:
        conf[conf._to_keys(key)[0]] = conf[key]


@worker_init.connect
def pin_worker_settings(sender, **kwargs) -> None:
    # A worker reads its settings per message too (delivery info, acks, time limits...).
    pin_settings(sender.app)


@task_postrun.connect
def forget_debug_queries(**kwargs) -> None:
    # Under DEBUG, Django keeps every query of a connection (up to 9,000) until a request
    # starts, which never happens in a worker: with a thread per check in flight, that would
    # be megabytes per thread.
    from django.conf import settings

    if settings.DEBUG:
        from django.db import reset_queries

        reset_queries()
