"""Developer laptop: the embedded default that `make run` uses."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env_bool, registration_policy

DEBUG = env_bool("DEBUG", True)
# `make run` serves on loopback: whoever can reach it can sign up.
UPTIME_REGISTRATION = registration_policy("open")

# WhiteNoise warns about a missing STATIC_ROOT; in dev it serves from the apps' static folders.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
