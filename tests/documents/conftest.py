"""Fixtures of the documents area: bill payloads of the billing contract's shape for the test account."""

from __future__ import annotations

import random
from typing import Any

import pytest

from abonent.customers.models import Account
from abonent.documents import samples
from abonent.documents.selectors import forget_cached


@pytest.fixture(autouse=True)
def _fresh_document_caches() -> None:
    # Rolled-back tests reuse database ids; cached templates and dictionaries must not outlive a test.
    forget_cached()


def bill_payload_for(account: Account, *, seed: int = 7, period: str = "2026-10") -> dict[str, Any]:
    """Return a bill payload (billing's contract shape) for the account, with varied lines."""
    payer = {
        "name": account.customer.display_name,
        "account_number": account.number,
        "address": str(account.premises),
        "kind": account.customer.kind,
    }
    return samples.random_bill(random.Random(seed), payer=payer, period=period)


@pytest.fixture
def bill_payload(account: Account) -> dict[str, Any]:
    return bill_payload_for(account)
