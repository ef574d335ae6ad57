"""The signed-in login is loaded from the cache, and never outlives a change of its row there."""

from __future__ import annotations

import pytest
from django.db import transaction

from abonent.identity.backends import PhoneOrEmailBackend
from abonent.identity.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend() -> PhoneOrEmailBackend:
    return PhoneOrEmailBackend()


def test_a_second_load_costs_no_query(backend, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    backend.get_user(user.pk)
    with django_assert_num_queries(0):
        assert backend.get_user(user.pk) == user


def test_a_new_password_is_seen_at_once(backend) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    old_hash = backend.get_user(user.pk).get_session_auth_hash()
    user.set_password("another-secret-42")
    user.save()
    assert backend.get_user(user.pk).get_session_auth_hash() != old_hash


def test_a_deactivated_login_is_refused_at_once(backend) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    backend.get_user(user.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None


def test_a_deleted_login_is_gone(backend) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    backend.get_user(user.pk)
    user_id = user.pk
    user.delete()
    assert backend.get_user(user_id) is None


def test_a_copy_cached_before_the_commit_is_forgotten_after_it(
    backend, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        user.first_name = "Новое"
        user.save()
        # Another request loads the row meanwhile; here the same connection sees the change, so put the
        # old copy in the cache by hand as that request would.
        stale = User.objects.get(pk=user.pk)
        stale.first_name = "Старое"
        from django.core.cache import cache

        cache.set(f"identity:user:{user.pk}", stale)
    assert backend.get_user(user.pk).first_name == "Новое"
