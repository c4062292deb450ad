"""Developer laptop: the embedded default that `make run` uses."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
