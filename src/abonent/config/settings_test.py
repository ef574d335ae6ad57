"""Settings for the test suite: the same as production's shape, with fast and local parts."""

import os
import tempfile
from pathlib import Path

from abonent.config.settings import *  # noqa: F403
from abonent.config.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 is tested explicitly
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the live server of the browser tests then gets its own connections instead of
    # sharing the test thread's one, where a request in flight could leave the test inside its transaction.
    # One file per test process, so runs side by side in one checkout never share it.
    _test_database = Path(tempfile.gettempdir()) / f"abonent-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(_test_database)}  # noqa: F405

# Throttles keep their windows in the cache and tests move the clock with freezegun, which a Redis TTL
# cannot follow; the tests use the in-process cache (Redis itself is exercised by the RQ backend test).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests change data with factories, around the services that mark cached pages stale; the page cache has
# its own tests, which turn it on.
PORTAL_PAGE_CACHE_SECONDS = 0
# Files written by a test are taken at once; the settle time has its own test.
INTEGRATION_FOLDER_SETTLE_SECONDS = 0
