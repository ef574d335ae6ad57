"""Generate a dirty customer+account export of any size, and the truth about it.

Each clean record is a customer with one account (some customers hold two). The dirt, each kind at a
known rate and each row's dirt written to the truth file:
    exact_duplicate        the same line again
    equivalent_duplicate   the same record with extra spaces and capitals
    conflict               a second line for the same account with another flat (both quarantined)
    swap                   phone and e-mail in each other's columns
    shift                  the birth date in the patronymic column, its own column empty
    homoglyph              Latin look-alikes in the last name
    yo                     ё in a name that the clean record spells with е
    phone_format           the phone as 8 (9xx) xxx-xx-xx
    bad_inn                an INN with a wrong check digit (quarantined)
    twin                   the same person again under another client id and account with a typo
                           in the name (must be queued as a likely duplicate)
Encodings: UTF-8 with BOM, UTF-8, Windows-1251 or KOI8-R; semicolon-separated, Russian dates and numbers.

`write_dirty_meters` writes a meter register for given accounts the same way: resources in every
spelling billing systems use, exact duplicates, and rows to quarantine (unknown account or resource,
digits out of range, verification before installation), each named in the truth.

The truth file is JSON lines: one object per output line with the line's `row` (0-based data row),
`account`, `dirt` and `expect` ("apply", "duplicate", "quarantine"), plus the clean values.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from abonent.core.validators import inn_check_digits

HEADER = [
    "Код клиента", "ФИО", "Дата рождения", "ИНН", "Телефон", "E-mail",
    "ЛС", "Индекс", "Населённый пункт", "Улица", "Дом", "Кв", "Площадь", "Дата открытия",
]  # fmt: skip
_LAST = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов", "Михайлов",
         "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
         "Павлов"]  # fmt: skip
_FIRST_M = ["Александр", "Сергей", "Андрей", "Алексей", "Дмитрий", "Иван", "Михаил", "Пётр", "Олег", "Артём"]
_FIRST_F = ["Елена", "Ольга", "Наталья", "Татьяна", "Мария", "Анна", "Ирина", "Светлана", "Алёна", "Юлия"]
_MIDDLE = ["Александров", "Сергеев", "Андреев", "Иванов", "Петров", "Михайлов", "Фёдоров", "Семёнов"]
_STREETS = ["Ленина", "Мира", "Гагарина", "Советская", "Пушкина", "Заводская", "Садовая", "Лесная"]
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТХаеорсх", "ABEKMHOPCTXaeopcx")
_ENCODINGS = ("utf-8-sig", "utf-8", "cp1251", "koi8_r")
DIRT_RATES = {
    "exact_duplicate": 0.02,
    "equivalent_duplicate": 0.02,
    "conflict": 0.01,
    "swap": 0.02,
    "shift": 0.01,
    "homoglyph": 0.03,
    "yo": 0.02,
    "phone_format": 0.10,
    "bad_inn": 0.005,
    "twin": 0.01,
}


@dataclass
class Record:
    client: str
    last: str
    first: str
    middle: str
    born: date
    inn: str
    phone: str
    email: str
    account: str
    flat: str
    street: str
    house: str
    area: str
    opened: date


def _inn(rng: random.Random) -> str:
    body = "66" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + inn_check_digits(body)


def _record(rng: random.Random, index: int, account_seed: int) -> Record:
    female = rng.random() < 0.5
    last = rng.choice(_LAST) + ("а" if female else "")
    first = rng.choice(_FIRST_F if female else _FIRST_M)
    middle = rng.choice(_MIDDLE) + ("на" if female else "ич")
    phone = f"+79{rng.randint(0, 999_999_999):09d}"
    return Record(
        client=f"C{index:08d}",
        last=last.replace("ё", "е"),
        first=first.replace("ё", "е"),
        middle=middle.replace("ё", "е"),
        born=date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 60)),
        inn=_inn(rng) if rng.random() < 0.3 else "",
        phone=phone,
        email=f"u{index}@example.ru" if rng.random() < 0.6 else "",
        account=f"77{account_seed:010d}",
        flat=str(rng.randint(1, 300)),
        street=rng.choice(_STREETS),
        house=str(rng.randint(1, 120)),
        area=f"{rng.randint(20, 120)},{rng.randint(0, 99):02d}",
        opened=date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000)),
    )


def _line(r: Record, *, phone_format: bool = False) -> list[str]:
    phone = r.phone
    if phone_format:
        phone = f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"
    return [
        r.client, f"{r.last} {r.first} {r.middle}", r.born.strftime("%d.%m.%Y"), r.inn, phone, r.email,
        r.account, "620000", "г. Екатеринбург", r.street, r.house, r.flat, r.area,
        r.opened.strftime("%d.%m.%Y"),
    ]  # fmt: skip


def dirty_lines(*, rows: int, seed: int) -> Iterator[tuple[list[str], dict[str, object]]]:
    """Yield (line, truth) pairs: about `rows` lines of a dirty export."""
    rng = random.Random(seed)
    made = 0
    index = 0
    while made < rows:
        index += 1
        record = _record(rng, index, seed * 10_000_000 + index)
        dirt = _pick_dirt(rng)
        truth: dict[str, object] = {
            "client": record.client, "account": record.account, "dirt": dirt, "expect": "apply",
            "last": record.last, "first": record.first, "phone": record.phone, "email": record.email,
            "born": record.born.isoformat(),
        }  # fmt: skip
        line = _line(record, phone_format=dirt == "phone_format")
        if dirt == "swap" and record.email:
            line[4], line[5] = line[5], line[4]
        elif dirt == "swap":
            truth["dirt"] = "none"
        elif dirt == "shift":  # the patronymic missing, so the birth date slid into the name column
            line[1] = f"{record.last} {record.first} {line[2]}"
            line[2] = ""
        elif dirt == "homoglyph":
            line[1] = record.last.translate(_HOMOGLYPHS) + f" {record.first} {record.middle}"
        elif dirt == "yo" and "е" in record.last:
            line[1] = record.last.replace("е", "ё", 1) + f" {record.first} {record.middle}"
        elif dirt == "bad_inn":
            body = "66" + "".join(str(rng.randint(0, 9)) for _ in range(8))
            good = inn_check_digits(body)
            line[3] = body + good[0] + str((int(good[1]) + 1) % 10)
            truth["expect"] = "quarantine"
        if dirt == "conflict":
            truth["expect"] = "quarantine"
        yield line, truth
        made += 1
        if dirt == "exact_duplicate":
            yield list(line), {**truth, "expect": "duplicate"}
            made += 1
        elif dirt == "equivalent_duplicate":
            loud = list(line)
            loud[1] = "  " + loud[1].upper() + " "
            yield loud, {**truth, "expect": "duplicate"}
            made += 1
        elif dirt == "conflict":
            other = list(line)
            other[11] = str(int(line[11]) + 1)
            yield other, {**truth, "expect": "quarantine"}
            made += 1
        elif dirt == "twin":
            index += 1
            twin = list(line)
            twin[0] = f"C{index:08d}"
            typo = record.last[:-1] + ("о" if record.last[-1] != "о" else "а")
            twin[1] = f"{typo} {record.first} {record.middle}"
            twin[5] = ""  # e-mail and INN would make it an exact duplicate, refused rather than queued
            twin[3] = ""
            twin[6] = f"77{seed * 10_000_000 + index:010d}"
            yield (
                twin,
                {
                    **truth,
                    "client": twin[0],
                    "account": twin[6],
                    "dirt": "twin_of",
                    "twin_of": record.client,
                    "expect": "apply",
                    "last": typo,
                    "email": "",
                },
            )
            made += 1


def _pick_dirt(rng: random.Random) -> str:
    return _pick(rng, DIRT_RATES)


def write_dirty_export(*, rows: int, out: Path, seed: int, encoding: str = "") -> Path:
    """Write the export and its truth file (out + ".truth.jsonl"); return the truth path."""
    encoding = encoding or _ENCODINGS[seed % len(_ENCODINGS)]
    return _write_with_truth(out, HEADER, dirty_lines(rows=rows, seed=seed), encoding)


def _write_with_truth(
    out: Path, header: list[str], lines: Iterator[tuple[list[str], dict[str, object]]], encoding: str
) -> Path:
    """Write the lines as a semicolon CSV in the encoding and their truth beside it; return the truth path."""
    truth_path = out.with_name(out.name + ".truth.jsonl")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    with truth_path.open("w", encoding="utf-8") as truth_file:
        for row, (line, truth) in enumerate(lines):
            writer.writerow(line)
            truth_file.write(json.dumps({"row": row, **truth}, ensure_ascii=False) + "\n")
    out.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    return truth_path


# --- a meter register ----------------------------------------------------------------------------------
METER_HEADER = [
    "ЛС",
    "Заводской номер",
    "Ресурс",
    "Тарифность",
    "Разрядность",
    "Дата установки",
    "Дата поверки",
]
# Each resource as billing systems spell it: every spelling must land on the same resource.
_RESOURCE_SPELLINGS = {
    "electricity": ["Электроэнергия", "ЭЭ", "эл. энергия", "electricity"],
    "cold_water": ["ХВС", "Холодная вода", "холодное водоснабжение"],
    "hot_water": ["ГВС", "горячая вода"],
    "heat": ["Отопление", "Тепловая энергия"],
    "gas": ["Газ", "газоснабжение"],
}
METER_DIRT_RATES = {
    "exact_duplicate": 0.03,
    "unknown_account": 0.02,
    "unknown_resource": 0.02,
    "digits_out_of_range": 0.02,
    "verification_before_installation": 0.02,
}


def dirty_meter_lines(*, accounts: list[str], seed: int) -> Iterator[tuple[list[str], dict[str, object]]]:
    """Yield one register line per meter of the accounts (some dirty, some repeated) with its truth."""
    rng = random.Random(seed)
    for index, account in enumerate(accounts):
        resource = rng.choice(sorted(_RESOURCE_SPELLINGS))
        installed = date(2015, 1, 1) + timedelta(days=rng.randrange(3000))
        digits = 6 if resource == "electricity" else 5
        line = [
            account, f"M{seed}-{index:06d}", rng.choice(_RESOURCE_SPELLINGS[resource]),
            "2" if resource == "electricity" else "1", str(digits), installed.strftime("%d.%m.%Y"),
            (installed + timedelta(days=16 * 365)).strftime("%d.%m.%Y"),
        ]  # fmt: skip
        dirt = _pick(rng, METER_DIRT_RATES)
        expect = "quarantine" if dirt not in ("none", "exact_duplicate") else "apply"
        if dirt == "unknown_account":
            line[0] = f"99{index:08d}"
        elif dirt == "unknown_resource":
            line[2] = "Пар"
        elif dirt == "digits_out_of_range":
            line[4] = "12"
        elif dirt == "verification_before_installation":
            line[6] = (installed - timedelta(days=30)).strftime("%d.%m.%Y")
        truth = {"account": account, "serial": line[1], "resource": resource, "dirt": dirt}
        yield line, {**truth, "expect": expect}
        if dirt == "exact_duplicate":
            yield list(line), {**truth, "expect": "duplicate"}


def _pick(rng: random.Random, rates: dict[str, float]) -> str:
    roll = rng.random()
    for name, rate in rates.items():
        if roll < rate:
            return name
        roll -= rate
    return "none"


def write_dirty_meters(*, accounts: list[str], out: Path, seed: int, encoding: str = "cp1251") -> Path:
    """Write a dirty meter register for the accounts and its truth file (out + ".truth.jsonl")."""
    return _write_with_truth(out, METER_HEADER, dirty_meter_lines(accounts=accounts, seed=seed), encoding)
