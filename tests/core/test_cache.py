"""The Redis cache backend with a kept client, against the real Redis server."""

from __future__ import annotations

import threading

from abonent.core.cache import KeptClientRedisCache


def _cache(redis_url: str) -> KeptClientRedisCache:
    return KeptClientRedisCache(redis_url, {"KEY_PREFIX": "test-kept-client"})


def test_operations_reuse_one_client_per_pool(redis_url: str) -> None:
    cache = _cache(redis_url)
    first = cache._cache.get_client("a", write=True)
    cache.set("a", 1)
    cache.delete_many(["a", "b"])
    assert cache._cache.get_client("b", write=True) is first


def test_behaves_as_django_redis_cache(redis_url: str) -> None:
    cache = _cache(redis_url)
    cache.set("answer", {"value": 42}, timeout=30)
    assert cache.get("answer") == {"value": 42}
    assert cache.add("answer", "other") is False
    assert cache.get_many(["answer", "missing"]) == {"answer": {"value": 42}}
    cache.delete_many(["answer"])
    assert cache.get("answer") is None


def test_the_kept_client_serves_threads_at_once(redis_url: str) -> None:
    cache = _cache(redis_url)
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for step in range(50):
                cache.set(f"t{number}", step)
                assert cache.get(f"t{number}") == step
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache.delete_many([f"t{number}" for number in range(8)])
    assert errors == []
