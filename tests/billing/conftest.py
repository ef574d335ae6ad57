"""Fixtures of the billing tests: services on the persona's account and the ledger flush guard."""

from __future__ import annotations

import pytest

from abonent.customers.models import Account, Resource, Service
from tests.factories import AccountServiceFactory, ServiceFactory


@pytest.fixture
def electricity(account: Account) -> Service:
    service = ServiceFactory(code="electricity", name="Электроснабжение")
    AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    return service


@pytest.fixture
def water(account: Account) -> Service:
    service = ServiceFactory(
        code="cold-water", name="Холодное водоснабжение", resource=Resource.COLD_WATER, unit="m3"
    )
    AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    return service
