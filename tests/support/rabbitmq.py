"""A RabbitMQ virtual host of a test's own on the machine's server (127.0.0.1:5672,
guest/guest), so that two test runs sharing the server never take each other's messages
(the queues are named "checks" and "notifications" in every run).

    with rabbitmq_vhost() as broker_url:    # amqp://guest:guest@127.0.0.1:5672/<vhost>
        ...

Fails the test, saying why, where no server listens or rabbitmqctl is not at hand: the fault
suite (the only user, `-m faults`) promises both brokers, and a skip would prove nothing.
"""

import contextlib
import itertools
import os
import shutil
import socket
import subprocess

import pytest

_numbers = itertools.count()


def _rabbitmqctl(*arguments: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *arguments], check=True, capture_output=True,
                   timeout=60)


@contextlib.contextmanager
def rabbitmq_vhost():
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        pytest.fail("needs RabbitMQ on 127.0.0.1:5672 (guest/guest): rabbitmq-server -detached")
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("needs rabbitmqctl to give the test a virtual host of its own")
    vhost = f"uptime-test-{os.getpid()}-{next(_numbers)}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)
