import os
import resource

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
    raise_open_files_limit()


def raise_open_files_limit() -> None:
    """Each check in flight holds two file descriptors (its socket and the watchdog's dup),
    so a threads worker with hundreds in flight outgrows the usual soft limit of 1,024. The
    hard limit is the administrator's word; the soft one is ours to raise up to it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # "Unlimited" is not a number the kernel takes for open files (fs.nr_open caps it).
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass  # the worker runs with the limit it was given


@task_postrun.connect
def forget_debug_queries(**kwargs) -> None:
    # Under DEBUG, Django keeps every query of a connection (up to 9,000) until a request
    # starts, which never happens in a worker: with a thread per check in flight, that would
    # be megabytes per thread.
    from django.conf import settings

    if settings.DEBUG:
        from django.db import reset_queries

        reset_queries()
