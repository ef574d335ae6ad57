"""Sample data of every document kind, for template previews, tests and the benchmark.

`sample_data(kind)` is the fixed example a template editor previews with. `random_bill(rng)` makes
bills of the billing area's contract shape (see docs/architecture.md, "bill payload") varied the way
real ones vary — names, addresses, services, meters, debts — so the archive's dictionaries and the
benchmark meet realistic data, not one bill repeated.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from abonent.billing.services.qr import Encoding, build_payload
from abonent.documents.models import DocumentKind

CENT = Decimal("0.01")

SUPPLIER: dict[str, Any] = {
    "name": "АО «Уральский расчётный центр»",
    "inn": "6671000017",
    "kpp": "667101001",
    "address": "620014, г. Екатеринбург, ул. Мира, д. 1",
    "phone": "+7 343 200-00-00",
    "bank": {
        "name": "ПАО Сбербанк",
        "bik": "046577674",
        "account": "40702810016020100001",
        "correspondent_account": "30101810500000000674",
    },
}
SIGNATORY = {"position": "Начальник отдела по работе с потребителями", "name": "О. В. Смирнова"}
PAYER = {
    "name": "Иванова Мария Петровна",
    "account_number": "6600123456",
    "address": "620014, г. Екатеринбург, ул. Малышева, д. 51, кв. 12",
    "kind": "individual",
}

LAST = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов",
        "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов")  # fmt: skip
FIRST = ("Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Мария", "Елена", "Ольга", "Наталья",
         "Татьяна", "Ирина", "Юрий", "Николай", "Анна")  # fmt: skip
MIDDLE = ("Петрович", "Иванович", "Сергеевич", "Александровна", "Викторовна", "Николаевна", "Юрьевич")
STREETS = ("ул. Малышева", "ул. Ленина", "ул. Мира", "пр. Космонавтов", "ул. Белинского",
           "ул. Куйбышева", "ул. Вайнера", "ул. Восточная", "ул. Фрунзе", "ул. Бажова")  # fmt: skip
CITIES = (("620", "г. Екатеринбург"), ("454", "г. Челябинск"), ("644", "г. Омск"))
# (service, unit, zones, tariff per zone, monthly volume range, metered)
SERVICES = (
    ("Электроснабжение", "кВт·ч", ("T1", "T2"), ("6.43", "3.12"), (60, 260), True),
    ("Электроснабжение", "кВт·ч", ("T",), ("5.54",), (80, 350), True),
    ("Холодное водоснабжение", "м³", ("T",), ("44.12",), (2, 9), True),
    ("Горячее водоснабжение", "м³", ("T",), ("231.58",), (1, 6), True),
    ("Водоотведение", "м³", ("T",), ("35.20",), (3, 14), True),
    ("Газоснабжение", "м³", ("T",), ("7.91",), (8, 60), True),
    ("Отопление", "Гкал", ("T",), ("2512.44",), (0, 2), False),
    ("Обращение с ТКО", "м³", ("T",), ("812.30",), (0, 1), False),
)


def money(value: Decimal) -> str:
    """Return money as the contract spells it: a string with two decimals."""
    return str(value.quantize(CENT))


def sample_data(kind: int) -> dict[str, Any]:
    """Return the fixed example data of a kind, the shape its template expects."""
    return {
        DocumentKind.BILL: sample_bill,
        DocumentKind.RECONCILIATION_ACT: sample_reconciliation_act,
        DocumentKind.DEBT_NOTICE: sample_debt_notice,
        DocumentKind.CONTRACT: sample_contract,
        DocumentKind.APPEAL_ANSWER: sample_appeal_answer,
        DocumentKind.GRID_CONNECTION: sample_grid_connection,
        DocumentKind.LETTER: sample_letter,
    }[DocumentKind(kind)]()


def sample_bill() -> dict[str, Any]:
    """Return a two-zone electricity and water bill of the demo household (the fixed preview)."""
    return random_bill(random.Random(2026), payer=dict(PAYER), period="2026-10")


def random_bill(
    rng: random.Random, *, payer: dict[str, str] | None = None, period: str = "2026-10"
) -> dict[str, Any]:
    """Return a bill of the billing contract's shape with realistic varied content."""
    payer = payer or _random_payer(rng)
    year, month = (int(part) for part in period.split("-"))
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    lines, readings = _bill_lines(rng)
    charged = sum((Decimal(line["charged"]) for line in lines), Decimal(0))
    recalculated = sum((Decimal(line["recalculated"]) for line in lines), Decimal(0))
    benefits = sum((Decimal(line["benefits"]) for line in lines), Decimal(0))
    opening = Decimal(rng.choice((0, 0, 0, rng.randint(100, 9000)))) + Decimal(rng.randint(0, 99)) / 100
    paid = opening if rng.random() < 0.8 else (opening / 2).quantize(CENT)
    penalty_lines = _penalty_lines(rng, opening - paid, period) if opening - paid > 500 else []
    penalties = sum((Decimal(p["amount"]) for p in penalty_lines), Decimal(0))
    due = opening + charged + recalculated - benefits - paid + penalties
    number = f"{payer['account_number']}-{year}{month:02d}"
    totals = {
        "opening_balance": money(opening),
        "charged": money(charged),
        "recalculated": money(recalculated),
        "benefits": money(benefits),
        "paid": money(paid),
        "penalties": money(penalties),
        "due": money(due),
    }
    return {
        "kind": "bill",
        "schema": 1,
        "number": number,
        "period": period,
        "issued_on": f"{next_year}-{next_month:02d}-01",
        "due_date": f"{next_year}-{next_month:02d}-15",
        "supplier": SUPPLIER,
        "payer": payer,
        "totals": totals,
        "lines": lines,
        "readings": readings,
        "penalty_lines": penalty_lines,
        "notices": _notices(rng, penalty_lines),
        "qr_payload": _qr(payer, due, f"{month:02d}{year}", penalties),
    }


def _random_payer(rng: random.Random) -> dict[str, str]:
    postal, city = rng.choice(CITIES)
    flat = rng.random() < 0.85
    address = f"{postal}{rng.randint(0, 999):03d}, {city}, {rng.choice(STREETS)}, д. {rng.randint(1, 180)}"
    if flat:
        address += f", кв. {rng.randint(1, 300)}"
    last = rng.choice(LAST)
    first, middle = rng.choice(FIRST), rng.choice(MIDDLE)
    if first.endswith("а") and not last.endswith("а"):
        last += "а"
    return {
        "name": f"{last} {first} {middle}",
        "account_number": f"{rng.choice(('66', '74', '55'))}{rng.randint(0, 10**8 - 1):08d}",
        "address": address,
        "kind": "individual",
    }


def _bill_lines(rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    electricity = rng.choice(SERVICES[:2])
    chosen = [electricity, *(s for s in SERVICES[2:] if rng.random() < 0.55)]
    lines: list[dict[str, str]] = []
    readings: list[dict[str, str]] = []
    for service, unit, zones, tariffs, (low, high), metered in chosen:
        basis = "meter" if metered and rng.random() < 0.9 else rng.choice(("average", "norm"))
        meter = f"{rng.randint(10**7, 10**8 - 1)}"
        for zone, tariff in zip(zones, tariffs, strict=True):
            # By meter the volume is a difference of whole readings; by average or norm it has decimals.
            places = Decimal(1) if basis == "meter" else Decimal("0.001")
            volume = Decimal(rng.uniform(low, high)).quantize(places)
            charged = (volume * Decimal(tariff)).quantize(CENT)
            recalculated = Decimal(0) if rng.random() < 0.92 else Decimal(-rng.randint(10, 400))
            benefits = Decimal(0) if rng.random() < 0.85 else (charged * Decimal("0.5")).quantize(CENT)
            lines.append(
                {
                    "service": service,
                    "unit": unit,
                    "zone": zone,
                    "volume": str(volume),
                    "tariff": tariff,
                    "charged": money(charged),
                    "recalculated": money(recalculated),
                    "benefits": money(benefits),
                    "total": money(charged + recalculated - benefits),
                    "basis": basis,
                }
            )
            if basis == "meter":
                previous = Decimal(rng.randint(100, 60000))
                readings.append(
                    {
                        "meter": meter,
                        "zone": zone,
                        "previous": str(previous),
                        "current": str(previous + volume),
                        "volume": str(volume),
                    }
                )
    return lines, readings


def _penalty_lines(rng: random.Random, debt: Decimal, period: str) -> list[dict[str, str | int]]:
    days = rng.randint(31, 120)
    amount = (debt * Decimal("0.095") * days / 300).quantize(CENT)
    year, month = (int(part) for part in period.split("-"))
    earlier = f"{year - 1}-12" if month <= 2 else f"{year}-{month - 2:02d}"
    return [
        {
            "period": earlier,
            "debt": money(debt),
            "days": days,
            "rate_share": "1/300",
            "key_rate": "9.50",
            "amount": money(amount),
        }
    ]


def _notices(rng: random.Random, penalty_lines: list[dict[str, str | int]]) -> list[str]:
    notices = [
        "Показания приборов учёта принимаются с 23 по 25 число месяца в личном кабинете и по телефону."
    ]
    if penalty_lines:
        notices.append(
            "У вас есть задолженность. При неоплате в течение 20 дней со дня доставки уведомления "
            "предоставление услуги может быть ограничено."
        )
    if rng.random() < 0.1:
        notices.append("Срок поверки вашего счётчика истекает в течение трёх месяцев.")
    return notices


def _qr(payer: dict[str, str], due: Decimal, paym_period: str, penalties: Decimal) -> str:
    bank = SUPPLIER["bank"]
    parts = payer["name"].split()
    fields = {
        "Name": SUPPLIER["name"],
        "PersonalAcc": bank["account"],
        "BankName": bank["name"],
        "BIC": bank["bik"],
        "CorrespAcc": bank["correspondent_account"],
        "PayeeINN": SUPPLIER["inn"],
        "KPP": SUPPLIER["kpp"],
        "Sum": str(int(max(due, Decimal(0)) * 100)),
        "Purpose": f"Оплата ЖКУ, л/с {payer['account_number']}",
        "PersAcc": payer["account_number"],
        "PaymPeriod": paym_period,
        "LastName": parts[0],
        "FirstName": parts[1] if len(parts) > 1 else "",
        "MiddleName": parts[2] if len(parts) > 2 else "",
        "PayerAddress": payer["address"],
        "TechCode": "02",
    }
    if penalties:
        fields["AddAmount"] = str(int(penalties * 100))
    return build_payload(fields, encoding=Encoding.UTF_8).decode("utf-8")


def sample_debt_notice() -> dict[str, Any]:
    return {
        "kind": "debt_notice",
        "schema": 1,
        "number": "УВ-2026-000123",
        "issued_on": "2026-11-02",
        "as_of": "2026-11-01",
        "supplier": SUPPLIER,
        "payer": PAYER,
        "service": "Электроснабжение",
        "debt": "4812.40",
        "penalties": "153.46",
        "total": "4965.86",
        "notice_days": 20,
        "delivery_channel": "сообщение в личном кабинете",
        "signatory": SIGNATORY,
    }


def sample_reconciliation_act() -> dict[str, Any]:
    return {
        "kind": "reconciliation_act",
        "schema": 1,
        "number": "АС-2026-0456",
        "date_from": "2026-07-01",
        "date_to": "2026-09-30",
        "supplier": SUPPLIER,
        "payer": {**PAYER, "name": "ООО «Уралтехснаб»", "account_number": "6690000003", "kind": "legal"},
        "opening_debit": "12400.00",
        "opening_credit": "0.00",
        "entries": [
            {
                "date": "2026-07-31",
                "document": "Счёт № 6690000003-202607",
                "debit": "18230.55",
                "credit": "0.00",
            },
            {
                "date": "2026-08-10",
                "document": "Платёжное поручение № 812",
                "debit": "0.00",
                "credit": "30630.55",
            },
            {
                "date": "2026-08-31",
                "document": "Счёт № 6690000003-202608",
                "debit": "17105.20",
                "credit": "0.00",
            },
            {
                "date": "2026-09-30",
                "document": "Счёт № 6690000003-202609",
                "debit": "19480.00",
                "credit": "0.00",
            },
        ],
        "turnover_debit": "54815.75",
        "turnover_credit": "30630.55",
        "closing_debit": "36585.20",
        "closing_credit": "0.00",
        "balance": "36585.20",
        "balance_in_favour_of": "АО «Уральский расчётный центр»",
        "signatory": SIGNATORY,
    }


def sample_contract() -> dict[str, Any]:
    return {
        "kind": "contract",
        "schema": 1,
        "number": "ЭС-66-0012345",
        "title": "энергоснабжения (для бытового потребления)",
        "place": "г. Екатеринбург",
        "signed_on": "2026-03-01",
        "supplier": SUPPLIER,
        "payer": PAYER,
        "services": ["электроснабжение", "холодное водоснабжение"],
        "sections": [
            {
                "heading": "Предмет договора",
                "clauses": [
                    "Исполнитель обязуется поставлять коммунальные ресурсы, а Потребитель — оплачивать их.",
                    "Качество коммунальных услуг соответствует Правилам, утв. ПП РФ № 354.",
                ],
            },
            {
                "heading": "Порядок расчётов",
                "clauses": [
                    "Расчётный период — календарный месяц.",
                    "Плата вносится до 15 числа месяца, следующего за расчётным.",
                    "Показания приборов учёта передаются с 23 по 25 число месяца.",
                ],
            },
        ],
    }


def sample_appeal_answer() -> dict[str, Any]:
    return {
        "kind": "appeal_answer",
        "schema": 1,
        "number": "ИСХ-2026-7781",
        "issued_on": "2026-10-20",
        "appeal_number": "ОБР-2026-5531",
        "appeal_date": "2026-10-08",
        "subject": "Перерасчёт платы за электроснабжение за сентябрь 2026 г.",
        "supplier": SUPPLIER,
        "payer": PAYER,
        "paragraphs": [
            "Рассмотрев Ваше обращение, сообщаем, что начисление за сентябрь 2026 г. "
            "было произведено по среднему.",
            "Переданные Вами показания учтены, перерасчёт в сумме 412,50 ₽ "
            "отражён в платёжном документе за октябрь.",
        ],
        "signatory": SIGNATORY,
    }


def sample_grid_connection() -> dict[str, Any]:
    return {
        "kind": "grid_connection",
        "schema": 1,
        "title": "Технические условия",
        "number": "ТУ-66-2026-0345",
        "issued_on": "2026-09-15",
        "application_number": "ТП-2026-0345",
        "supplier": SUPPLIER,
        "payer": PAYER,
        "object": {
            "name": "Жилой дом",
            "address": "Свердловская обл., г. Берёзовский, ул. Садовая, уч. 14",
            "max_power_kw": "15",
            "existing_power_kw": "0",
            "voltage_kv": "0.4",
            "reliability_category": "III",
        },
        "connection_point": "опора № 12 ВЛ-0,4 кВ от ТП-1187",
        "term_months": 4,
        "fee": "5000.00",
        "fee_basis": "льготная ставка за 1 кВт, постановление РЭК Свердловской области",
        "grid_measures": [
            "Строительство ответвления ВЛ-0,4 кВ до границы участка",
            "Установка прибора учёта",
        ],
        "applicant_measures": ["Монтаж вводного устройства", "Уведомление о выполнении ТУ"],
        "signatory": SIGNATORY,
    }


def sample_letter() -> dict[str, Any]:
    return {
        "kind": "letter",
        "schema": 1,
        "number": "ИСХ-2026-8802",
        "issued_on": "2026-10-25",
        "subject": "О замене прибора учёта",
        "greeting": "Уважаемая Мария Петровна!",
        "supplier": SUPPLIER,
        "payer": PAYER,
        "paragraphs": [
            "Сообщаем, что срок поверки Вашего прибора учёта электроэнергии истекает 01.02.2027.",
            "Для замены или поверки обратитесь в сервисный центр или оставьте заявку в личном кабинете.",
        ],
        "signatory": SIGNATORY,
    }
