"""Billing objects for tests elsewhere (the access-leak walker): a bill on an account."""

from __future__ import annotations

import datetime
from decimal import Decimal

from abonent.billing.models import Bill


def bill_on(account) -> Bill:  # type: ignore[no-untyped-def]
    """Return a bill of the account for October 2026 (made once)."""
    bill, _created = Bill.objects.get_or_create(
        account=account,
        period=datetime.date(2026, 10, 1),
        defaults={
            "number": f"{account.number}-202610",
            "issued_on": datetime.date(2026, 11, 1),
            "due_date": datetime.date(2026, 11, 15),
            "opening_balance": Decimal("0.00"),
            "charged": Decimal("100.00"),
            "recalculated": Decimal("0.00"),
            "benefits": Decimal("0.00"),
            "paid": Decimal("0.00"),
            "penalties": Decimal("0.00"),
            "total_due": Decimal("100.00"),
            "details": {"lines": [], "meters": []},
        },
    )
    return bill
