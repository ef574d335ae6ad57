"""The cabinet's bills in a real browser at 360 and 1280 px: the list, a bill with its calculation,
QR code and "why is it different", and the charge preview appearing as readings are typed."""

from __future__ import annotations

import pytest

from abonent.billing.models import Bill
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.billing.services.reference import load_reference_data
from tests.billing.charge_setup import OCTOBER, add_reading, build_example
from tests.e2e.conftest import screenshot
from tests.e2e.test_shell_screenshots import OVERFLOW, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bills(account):  # type: ignore[no-untyped-def]
    """September and October billed; October differs (more electricity, water by the average).

    September is left unpaid, so October's bill carries it: 2056.40 + 2220.50 = 4276.90 to pay.
    """
    load_reference_data()  # key rates for the penalty statement (a transactional test's flush erased them)
    example = build_example(account)
    add_reading(example.power_meter, OCTOBER.shift(-2), "880")
    add_reading(example.water_meter, OCTOBER.shift(-2), "106")
    for period in (OCTOBER.previous(), OCTOBER):
        run_pending_chunks(run=start_charge_run(branch=account.branch, period=period, enqueue=False))
    return example


def test_bill_list_and_bill(live_server, page, customer, account, bills) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    page.goto(f"{live_server.url}/cabinet/bills/")
    october = Bill.objects.get(account=account, period=OCTOBER.start)
    card = page.get_by_test_id(f"bill-{october.pk}")
    assert "4 276,90 ₽" in card.inner_text().replace("\u00a0", " ").replace("\u202f", " ")
    screenshot(page, "bills-list")
    assert page.evaluate(OVERFLOW) <= 0

    card.get_by_role("link").click()
    page.wait_for_url(f"**/cabinet/bills/{october.pk}/")
    assert page.locator(".bill-qr svg").count() == 1
    why = page.locator("#why-title").locator("..").inner_text()
    assert "Электроснабжение" in why and "больше" in why
    screenshot(page, "bills-detail")
    assert page.evaluate(OVERFLOW) <= 0


def test_charge_preview_appears_while_typing(live_server, page, customer, account, bills) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    page.goto(f"{live_server.url}/cabinet/readings/{account.pk}/")
    field = page.locator(f"#id_meter-{bills.power_meter.pk}-T1")
    field.fill("1200")
    preview = page.get_by_test_id("charge-preview")
    preview.wait_for()
    assert "273,50" in preview.inner_text()  # 50 kWh × 5.47
    screenshot(page, "bills-preview")
    assert page.evaluate(OVERFLOW) <= 0
