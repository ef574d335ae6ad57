"""The cabinet's journeys in a real browser at a phone's width and a desktop's (issue 3, "How it is checked").

1. A household customer registers with the account number and the code printed on the bill, confirms
   the phone with the code the embedded SMS outbox received, sets a password and lands on the dashboard.
2. They submit a reading lower than the previous one (the specific Russian error, nothing stored),
   then a right one (accepted, stored).
3. They invite a tenant; in another browser the tenant accepts with the invitation code, signs out,
   signs in again with a one-time code, may submit readings, and may not manage access.
4. A company's accountant with many accounts gets the combined table and narrows it with the filters.

Screenshots of every main step land in tests/e2e/screenshots/journey-*-{phone,desktop}.png.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Building, Resource
from abonent.identity.models import AccountAccess, User
from abonent.identity.services.registration import issue_registration_code
from abonent.identity.shortcodes import format_printable_code
from abonent.messaging.models import OutboundMessage, Topic
from abonent.metering.errors import format_day, format_value
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.selectors import window_for
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import (
    AccountAccessFactory,
    AccountFactory,
    BranchFactory,
    CustomerFactory,
    MeterFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Ural-2026-svet"
OWNER_PHONE = "+79120007001"
TENANT_PHONE = "+79120007002"
EKB = ZoneInfo("Asia/Yekaterinburg")  # the branch's time zone (BranchFactory's default)
PREVIOUS = Decimal("13260")  # the meter's last reading, a month ago


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Rate limits and code resend slots live in the (in-process) cache the live server shares."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def household(transactional_db) -> tuple[Account, Meter, str]:  # type: ignore[no-untyped-def]
    """An account with one single-rate electricity meter read last month, and its bill's code."""
    account = AccountFactory(
        number="6600700100",
        branch=BranchFactory(code="EKB", name="Екатеринбургский филиал"),
        customer__last_name="Петрова",
        customer__first_name="Анна",
        customer__middle_name="Ивановна",
    )
    meter = MeterFactory(
        account=account, resource=Resource.ELECTRICITY, zones=1, digits=6, serial_number="E7001"
    )
    # At noon in the branch's time zone, so the day the page names is the day written here.
    noon = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=35), datetime.time(12), tzinfo=EKB
    )
    Reading.objects.create(
        meter=meter,
        period=BillingPeriod.from_date(noon.date()).start,
        t1=PREVIOUS,
        submitted_at=noon,
        channel=Channel.CABINET,
    )
    return account, meter, format_printable_code(issue_registration_code(account=account, issued_by=None))


def last_code(recipient: str) -> str:
    """Read the newest security code sent to the recipient from the local outbox, as a phone shows it."""
    message = OutboundMessage.objects.filter(recipient=recipient, topic=Topic.SECURITY).latest("pk")
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
    && !el.getAttribute("aria-labelledby"))
  .map((el) => el.name || el.id || el.outerHTML)"""
DANGLING_DESCRIPTIONS = """() => Array.from(document.querySelectorAll("[aria-describedby]"))
  .flatMap((el) => el.getAttribute("aria-describedby").split(/\\s+/).filter(Boolean))
  .filter((id) => !document.getElementById(id))"""


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Take the step's screenshot and check what every cabinet page owes a phone and a screen reader."""
    screenshot(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"  # cut text, a wobbling page
    assert page.evaluate(UNLABELLED_CONTROLS) == [], f"form controls without a label on {page.url}"
    assert page.evaluate(DANGLING_DESCRIPTIONS) == [], f"aria-describedby names missing ids on {page.url}"


def focus_is_visible(page) -> bool:  # type: ignore[no-untyped-def]
    """Whether the element the keyboard reached draws the focus ring (an outline, not just any shadow)."""
    return page.evaluate(
        """() => { const el = document.activeElement, style = getComputedStyle(el);
          return el !== document.body && el.matches(":focus-visible")
            && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2; }"""
    )


def submit(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_register_submit_readings_and_invite_a_tenant(live_server, page, open_page, household) -> None:  # type: ignore[no-untyped-def]
    account, meter, bill_code = household
    base = live_server.url

    # --- 1. Registration with the code from the bill, confirmed by SMS, with a password ---------------
    page.goto(f"{base}/login/")
    page.get_by_test_id("register-link").click()
    page.get_by_label("Номер лицевого счёта").fill(account.number)
    page.get_by_label("Код регистрации").fill(bill_code)
    page.get_by_label("Мобильный телефон или эл. почта").fill("8 912 000-70-01")
    check_page(page, "journey-register")
    for _ in range(3):  # from the phone field on to the button and the links, by keyboard
        page.keyboard.press("Tab")
        assert focus_is_visible(page), page.evaluate("document.activeElement.outerHTML")
    submit(page, "Получить код подтверждения")

    assert page.url.endswith("/register/confirm/")
    assert "***-**-01" in page.get_by_test_id("code-sent-to").inner_text()  # the masked phone
    page.get_by_label("Код из сообщения").fill(last_code(OWNER_PHONE))
    page.get_by_label(re.compile(r"^Пароль")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Повторите пароль")).fill(PASSWORD)
    check_page(page, "journey-confirm")
    submit(page, "Завершить регистрацию")

    assert page.url == f"{base}/cabinet/"
    assert page.get_by_text("Добро пожаловать! Ваш лицевой счёт добавлен в личный кабинет.").is_visible()
    owner = User.objects.get(phone=OWNER_PHONE)
    assert owner.check_password(PASSWORD)
    assert AccountAccess.objects.get(user=owner).role == AccountAccess.Role.OWNER
    card = page.get_by_test_id("account-card")
    assert account.number in card.inner_text()
    assert card.get_by_test_id("balance").is_visible()
    with translation.override("ru"):
        window_text = window_for(account=account).message
    assert window_text in card.get_by_test_id("readings").inner_text()
    check_page(page, "journey-dashboard")

    # --- 2. Readings: a value below the previous one is refused with the reason, then a right one -------
    card.get_by_role("link", name="Передать показания").click()
    page.wait_for_load_state()
    assert page.url == f"{base}/cabinet/readings/{account.pk}/"
    reading_input = page.locator(f"#id_meter-{meter.pk}-T1")
    reading_input.fill("13 100")
    submit(page, "Передать показания")
    with translation.override("ru"):
        refusal = (
            f"Показание T1 {format_value(Decimal('13100'))} меньше предыдущего "
            f"{format_value(PREVIOUS)} от {format_day(timezone.localdate() - datetime.timedelta(days=35))}."
        )
    assert page.get_by_text(refusal).is_visible()
    # The error is tied to its field for screen readers, and the field says it is wrong.
    reading_input = page.locator(f"#id_meter-{meter.pk}-T1")
    assert reading_input.get_attribute("aria-invalid") == "true"
    described_by = reading_input.get_attribute("aria-describedby") or ""
    assert f"id_meter-{meter.pk}-T1_error" in described_by.split()
    assert page.locator(f"#id_meter-{meter.pk}-T1_error").inner_text().strip() == refusal
    assert Reading.objects.filter(meter=meter).count() == 1  # nothing stored
    check_page(page, "journey-readings-error")

    reading_input.fill("13 412,5")
    submit(page, "Передать показания")
    stored = Reading.objects.filter(meter=meter, superseded_at__isnull=True).latest("submitted_at")
    assert (stored.t1, stored.channel, stored.submitted_by) == (Decimal("13412.5"), Channel.CABINET, owner)
    with translation.override("ru"):
        period = stored.billing_period.label()
    assert page.get_by_text(
        f"показания T1 {format_value(Decimal('13412.5'))} приняты за {period}."
    ).is_visible()
    check_page(page, "journey-readings-accepted")

    # --- 3. The owner invites a tenant from the profile's "access" page ----------------------------
    page.get_by_role("link", name="Профиль").click()
    page.wait_for_load_state()
    check_page(page, "journey-profile")
    page.get_by_role("link", name="Доступ к лицевым счетам").click()
    page.get_by_role("link", name="Кто имеет доступ · пригласить").click()
    assert page.url == f"{base}/cabinet/access/{account.pk}/"
    page.get_by_label("Арендатор").check()
    page.get_by_label("Кого вы приглашаете").fill("Арендатор Сергей")
    submit(page, "Создать приглашение")
    invitation_code = page.get_by_test_id("invitation-code").inner_text().strip()
    check_page(page, "journey-invitation")

    tenant_page = open_page()
    tenant_page.goto(f"{base}/invite/")
    tenant_page.get_by_label("Код приглашения").fill(invitation_code)
    submit(tenant_page, "Продолжить")
    assert account.number in tenant_page.get_by_role("main").inner_text()
    assert "Арендатор" in tenant_page.get_by_role("main").inner_text()  # the role offered is said
    tenant_page.get_by_label("Мобильный телефон или эл. почта").fill("+7 912 000-70-02")
    submit(tenant_page, "Получить код подтверждения")
    tenant_page.get_by_label("Код из сообщения").fill(last_code(TENANT_PHONE))
    submit(tenant_page, "Принять приглашение")
    assert tenant_page.url == f"{base}/cabinet/"
    tenant = User.objects.get(phone=TENANT_PHONE)
    assert AccountAccess.objects.get(user=tenant, account=account).role == AccountAccess.Role.TENANT

    # Signing in later: the tenant has no password, so a one-time code by SMS.
    tenant_page.get_by_test_id("logout").click()
    tenant_page.goto(f"{base}/login/")
    tenant_page.get_by_test_id("code-login-link").click()
    tenant_page.get_by_label("Мобильный телефон или эл. почта").fill("89120007002")
    submit(tenant_page, "Отправить код")
    tenant_page.get_by_label("Код из сообщения").fill(last_code(TENANT_PHONE))
    submit(tenant_page, "Продолжить")
    assert tenant_page.url == f"{base}/cabinet/"
    tenant_card = tenant_page.get_by_test_id("account-card")
    assert account.number in tenant_card.inner_text()
    check_page(tenant_page, "journey-tenant-dashboard")

    # What the tenant role allows: readings yes; who has access, no (no link, and the page refuses).
    tenant_card.get_by_role("link", name="Передать показания").click()
    tenant_page.wait_for_load_state()
    assert tenant_page.get_by_role("button", name="Передать показания", exact=True).is_visible()
    tenant_page.get_by_role("link", name="Профиль").click()
    tenant_page.get_by_role("link", name="Доступ к лицевым счетам").click()
    assert tenant_page.get_by_test_id("access-card").count() == 1
    assert tenant_page.get_by_role("link", name="Кто имеет доступ · пригласить").count() == 0
    check_page(tenant_page, "journey-tenant-access")
    refused = tenant_page.goto(f"{base}/cabinet/access/{account.pk}/")
    assert refused is not None and refused.status == 403
    assert AccountAccess.objects.filter(account=account, revoked_at__isnull=True).count() == 2


def test_company_accountant_filters_many_accounts(live_server, page) -> None:  # type: ignore[no-untyped-def]
    branch = BranchFactory(code="EKB", name="Екатеринбургский филиал")
    company = CustomerFactory(legal=True, company_name="ООО «Ромашка»")
    accountant = UserFactory(phone="+79120007010", email="buh@romashka.example")
    accounts = [AccountFactory(branch=branch, customer=company) for _ in range(14)]
    # The longest street names Faker may draw (a random one once widened the phone page by 13 px).
    Building.objects.filter(premises__accounts=accounts[0]).update(street="ул. Железнодорожников")
    for account in accounts:
        AccountAccessFactory(user=accountant, account=account, role=AccountAccess.Role.REPRESENTATIVE)
    MeterFactory(account=accounts[2], next_verification_on=timezone.localdate() - datetime.timedelta(days=3))
    Account.objects.filter(pk=accounts[5].pk).update(status=Account.Status.CLOSED)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Телефон или эл. почта").fill("buh@romashka.example")
    page.get_by_label("Пароль").fill(FACTORY_PASSWORD)
    submit(page, "Войти")
    assert page.url == f"{live_server.url}/cabinet/"
    assert "14" in page.locator(".page-header .lead").inner_text()
    assert "ООО «Ромашка»" in page.locator(".page-header .lead").inner_text()
    assert page.get_by_test_id("account-card").count() == 14
    check_page(page, "journey-company")

    # "Needs attention" chips narrow the table to the account whose meter is overdue for verification.
    page.get_by_role("link", name="Истёк срок поверки прибора учёта 1").click()
    page.wait_for_load_state()
    rows = page.get_by_test_id("account-card")
    assert rows.count() == 1 and accounts[2].number in rows.inner_text()

    page.goto(f"{live_server.url}/cabinet/")
    search = page.get_by_role("search", name="Поиск лицевых счетов")
    search.get_by_label("Номер лицевого счёта").fill(accounts[7].number)
    search.get_by_role("button", name="Показать").click()
    page.wait_for_load_state()
    rows = page.get_by_test_id("account-card")
    assert rows.count() == 1 and accounts[7].number in rows.inner_text()
    check_page(page, "journey-company-filtered")
