"""Django's Redis cache on the project's one Redis, wherever the settings module put it."""

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache


class RedisCache(DjangoRedisCache):
    """Django's RedisCache at settings.REDIS_URL unless CACHES gives a LOCATION.

    Each settings module derives REDIS_URL for its environment (the test settings move it to a
    socket of their own after base.py has run). Reading it here, when the cache is first used,
    keeps one CACHES entry right for all of them. unix:// URLs work as they are.
    """

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server or settings.REDIS_URL, params)
