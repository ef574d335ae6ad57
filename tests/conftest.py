"""Personas shared by every test, after healthchecks' alice/bob/charlie.

- `customer`: a household login (phone +79123456789, e-mail customer@example.com) owning `account`;
- `tenant`: a household login with the tenant role on the same `account`;
- `stranger`: a household login owning `other_account`, with no access to `account`;
- `operator`, `specialist`: branch staff (is_staff) bound to `branch`, the branch of `account`;
- `head`: a head with no branch, so seeing every branch's accounts;
- `admin`: a superuser.

Every persona's password is `tests.factories.PASSWORD`; `client_for(user)` returns a signed-in client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from abonent.core.models import Branch
from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, StaffRole, User
from tests.factories import AccountAccessFactory, AccountFactory, BranchFactory, StaffUserFactory, UserFactory


@pytest.fixture
def branch(db) -> Branch:
    return BranchFactory(code="EKB", name="Екатеринбургский филиал")


@pytest.fixture
def other_branch(branch: Branch) -> Branch:
    return BranchFactory(
        code="NTG",
        name="Нижнетагильский филиал",
        organisation=branch.organisation,
        time_zone="Asia/Yekaterinburg",
    )


@pytest.fixture
def account(branch: Branch) -> Account:
    return AccountFactory(
        number="6600123456",
        branch=branch,
        customer__last_name="Иванова",
        customer__first_name="Мария",
        customer__middle_name="Петровна",
    )


@pytest.fixture
def other_account(other_branch: Branch) -> Account:
    return AccountFactory(number="6600654321", branch=other_branch, customer__last_name="Соседова")


@pytest.fixture
def customer(account: Account) -> User:
    user = UserFactory(
        username="customer",
        phone="+79123456789",
        email="customer@example.com",
        first_name="Мария",
        last_name="Иванова",
    )
    AccountAccessFactory(user=user, account=account, role=AccountAccess.Role.OWNER)
    return user


@pytest.fixture
def tenant(account: Account) -> User:
    user = UserFactory(username="tenant", phone="+79123450001", email="tenant@example.com")
    AccountAccessFactory(user=user, account=account, role=AccountAccess.Role.TENANT)
    return user


@pytest.fixture
def stranger(other_account: Account) -> User:
    # Fixed names, never the victim's: the leak checks look for the victim's name on every page.
    user = UserFactory(
        username="stranger", phone="+79123450002", email="stranger@example.com", last_name="Посторонняя"
    )
    AccountAccessFactory(user=user, account=other_account, role=AccountAccess.Role.OWNER)
    return user


@pytest.fixture
def operator(branch: Branch) -> User:
    return StaffUserFactory(username="operator", staff_role=StaffRole.OPERATOR, branch=branch)


@pytest.fixture
def specialist(branch: Branch) -> User:
    return StaffUserFactory(username="specialist", staff_role=StaffRole.SPECIALIST, branch=branch)


@pytest.fixture
def head(db) -> User:
    return StaffUserFactory(username="head", staff_role=StaffRole.HEAD, branch=None)


@pytest.fixture
def admin(db) -> User:
    return StaffUserFactory(username="admin", staff_role=StaffRole.ADMINISTRATOR, is_superuser=True)


@pytest.fixture
def client_for(db) -> Callable[[User], Client]:
    """Return a function that gives a test client signed in as the given user."""

    def signed_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def redis_url() -> str:
    """Return a Redis URL whose server answers; with CI=true a missing server fails instead of skipping."""
    import os

    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is required in CI: {exc}")
        pytest.skip(f"Redis at {url} is not running: {exc}")
    return url


@pytest.fixture(autouse=True)
def _append_only_tables_erasable_between_transactional_tests(
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """Let the test runner's flush after a transactional test erase the append-only tables on SQLite too."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # its flush then runs after this fixture's teardown
    yield
    from django.db import connection

    from abonent.core.maintenance import append_only_tables, append_only_tables_erasable

    if connection.vendor == "sqlite":
        with append_only_tables_erasable(), connection.cursor() as cursor:
            for table in append_only_tables():
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names from our own registry


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a request's LocaleMiddleware leaves its language active."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters and code-resend slots live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
