import os
import resource

from celery import Celery
from celery.signals import task_postrun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("uptime")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def closed_redis_channels_raise_connection_errors() -> None:
    """Let workers and beat survive a Redis restart (kombu 5.7, celery 5.7, redis-py 8).

    kombu's Redis channel builds its connection pool lazily from its transport's Connection.
    When a broker connection dies, kombu detaches the two (collect(), or closing the channel)
    and some code still asks the dead channel for a pool, which fails with AttributeError:

    * a worker collect()s its connection, then close()s it. collect() could not close the
      channel waiting on BRPOP (reading the dead socket raised first) yet detached the
      transport; close() then tries to put the check in flight back on its queue and fails
      with "'NoneType' object has no attribute 'hostname'". Celery ignores connection errors
      there, not AttributeError: the worker stops for good instead of reconnecting. The check's
      late acknowledgement on that channel fails the same way.
    * beat: a publish that gives up while Redis is down leaves the producer a closed channel,
      and every later batch asks it whether it can pipeline: "'NoneType' object has no
      attribute 'client'" at every tick, and nothing is dispatched again.

    Raising redis-py's ConnectionError instead is what kombu and Celery expect of a dead
    channel: the worker's close goes on and it reconnects, the lost acknowledgement is logged
    (Redis's visibility timeout brings the message back, and the check's claim makes that
    run harmless), and the producer's retry reconnects and revives its channel.
    tests/faults/test_redis_restart.py fails without it.
    """
    import redis
    from kombu.transport import redis as kombu_redis

    connection_params = kombu_redis.Channel._connparams
    if getattr(connection_params, "raises_when_detached", False):
        return

    def detached_safe_connection_params(channel, asynchronous=False):
        # A closed channel has no transport left (connection None), a collected transport
        # no Connection (client None).
        if channel.connection is None or channel.connection.client is None:
            raise redis.ConnectionError("this broker channel was closed with its connection")
        return connection_params(channel, asynchronous=asynchronous)

    detached_safe_connection_params.raises_when_detached = True
    kombu_redis.Channel._connparams = detached_safe_connection_params


closed_redis_channels_raise_connection_errors()


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
