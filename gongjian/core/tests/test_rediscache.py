"""The Redis cache backend of production (``core.rediscache``): Django's, keeping one Redis client per pool.

Runs against the machine's Redis (database 14, emptied first); CI's machine has one, elsewhere the test is skipped when
none answers."""

from __future__ import annotations

import os
from typing import Any

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from gongjian.core.rediscache import RedisCache

URL = os.environ.get("GONGJIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def backend() -> Any:
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {URL}")
    return RedisCache(URL, {"KEY_PREFIX": "t"})


def test_it_is_the_cache_djangos_is(backend: Any) -> None:
    backend.set("a", {"x": [1, 2]}, 30)
    assert backend.get("a") == {"x": [1, 2]}
    assert backend.add("a", 1) is False and backend.add("b", 1) is True
    assert backend.get_many(["a", "b", "c"]) == {"a": {"x": [1, 2]}, "b": 1}
    assert backend.incr("b") == 2
    backend.delete("a")
    assert backend.get("a", "gone") == "gone"
    other = DjangoRedisCache(URL, {"KEY_PREFIX": "t"})
    assert other.get("b") == 2  # the same keys and values as Django's own backend


def test_one_client_serves_every_call(backend: Any) -> None:
    client = backend._cache.get_client("k")
    assert backend._cache.get_client("k", write=True) is client
    backend.set("k", 1)
    assert backend._cache.get_client("k") is client
    stock = DjangoRedisCache(URL, {})._cache
    assert stock.get_client("k") is not stock.get_client("k")  # what it saves: Django builds a client per call
