"""The one-statement permission check of reading submissions states the same rule as `active_accesses`.

`metering.sql.meter_with_role` joins the meter with the customer's grant in plain SQL (the hottest
write of the system starts with it); these tests hold it equal to the ORM's rule for every kind of
grant: in force, revoked, not yet valid, expired, ending today, and none at all.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, User
from abonent.identity.selectors import AccountAction, ActionNotAllowed, active_accesses
from abonent.metering import sql
from abonent.metering.errors import MeterNotFound
from abonent.metering.models import Meter
from abonent.metering.selectors import meter_for_user
from tests.factories import AccountAccessFactory, UserFactory
from tests.metering.conftest import electricity_meter

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)  # the metering tests' frozen clock


def _grant(user: User, account: Account, **fields: object) -> AccountAccess:
    return AccountAccessFactory(user=user, account=account, role=AccountAccess.Role.TENANT, **fields)


GRANTS = {
    "in force": {},
    "revoked": {"revoked_at": datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)},
    "not yet valid": {"valid_from": TODAY + datetime.timedelta(days=1)},
    "expired": {"valid_from": datetime.date(2025, 1, 1), "valid_until": TODAY - datetime.timedelta(days=1)},
    "ends today": {"valid_from": datetime.date(2025, 1, 1), "valid_until": TODAY},
    "starts today": {"valid_from": TODAY},
}


@pytest.mark.parametrize("kind", GRANTS)
def test_the_sql_check_sees_the_grant_exactly_when_active_accesses_does(kind: str, account: Account) -> None:
    assert timezone.localdate() == TODAY
    meter = electricity_meter(account)
    user = UserFactory(username=f"grant-{kind.replace(' ', '-')}")
    _grant(user, account, **GRANTS[kind])

    in_force = active_accesses(user=user).filter(account=account).exists()
    found = sql.meter_with_role(meter.pk, user.pk)

    assert found is not None and found.pk == meter.pk
    assert (found.grant_role == AccountAccess.Role.TENANT) is in_force
    assert (found.grant_role is None) is not in_force


def test_a_user_without_a_grant_gets_not_found_and_a_viewer_gets_not_allowed(account: Account) -> None:
    meter = electricity_meter(account)
    outsider = UserFactory(username="outsider")
    viewer = UserFactory(username="viewer")
    AccountAccessFactory(user=viewer, account=account, role=AccountAccess.Role.VIEWER)

    with pytest.raises(MeterNotFound):
        meter_for_user(user=outsider, meter_id=meter.pk, action=AccountAction.SUBMIT_READINGS)
    with pytest.raises(ActionNotAllowed):
        meter_for_user(user=viewer, meter_id=meter.pk, action=AccountAction.SUBMIT_READINGS)
    assert meter_for_user(user=viewer, meter_id=meter.pk).pk == meter.pk  # viewing is allowed


def test_a_missing_meter_is_not_found(customer: User) -> None:
    with pytest.raises(MeterNotFound):
        meter_for_user(
            user=customer,
            meter_id=(Meter.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1,
        )
