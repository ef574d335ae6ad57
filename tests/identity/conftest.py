"""Fixtures of the identity tests: a clean cache (rate limits, resend slots) and reading sent codes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from abonent.identity.models import User
from abonent.identity.services import ensure_staff_groups
from abonent.messaging.models import OutboundMessage


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Rate-limit counters and resend slots live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent_code(db) -> Callable[[str], str]:  # type: ignore[no-untyped-def]
    """Return a function giving the last code sent to a recipient, read from the outbox like a phone would."""

    def last_code(recipient: str) -> str:
        message = OutboundMessage.objects.filter(recipient=recipient, topic="security").latest("pk")
        match = re.search(r"\b(\d{6})\b", message.body)
        assert match, message.body
        return match.group(1)

    return last_code


@pytest.fixture
def with_role_groups(db) -> Callable[[User], User]:  # type: ignore[no-untyped-def]
    """Return a function that puts a staff persona into its role's permission group."""
    groups = ensure_staff_groups()

    def join(user: User) -> User:
        user.groups.add(groups[user.staff_role] if user.staff_role in groups else Group.objects.get())
        return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance

    return join
