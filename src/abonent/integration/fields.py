"""What each kind of file carries: our canonical fields, their types, keys and the names exports use.

A profile maps a source's columns to these fields; a column missing from the profile is found by
its name among the aliases (Russian and English spellings seen in billing exports).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ACCOUNTS = "accounts", _("Customers with their accounts")
    METERS = "meters", _("Meters")
    READINGS = "readings", _("Meter readings")
    CHARGES = "charges", _("Charges")
    PAYMENTS = "payments", _("Payments")
    BALANCES = "balances", _("Opening balances")
    DOCUMENTS = "documents", _("Documents manifest")


class FieldType:
    TEXT = "text"
    NAME = "name"  # a person's name part: homoglyphs, ё, case
    FULL_NAME = "full_name"  # "Фамилия Имя Отчество" split into the three parts
    COMPANY = "company"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    DECIMAL = "decimal"
    INN = "inn"
    OGRN = "ogrn"
    SNILS = "snils"
    ACCOUNT = "account"  # an account number: digits only
    CODE = "code"  # an identifier as given, trimmed


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False


_PERSON = (
    FieldSpec(
        "external_id", FieldType.CODE, ("id", "client_id", "код клиента", "код абонента", "id клиента")
    ),
    FieldSpec("full_name", FieldType.FULL_NAME, ("fio", "фио", "абонент", "ф.и.о.")),
    FieldSpec("last_name", FieldType.NAME, ("фамилия", "surname")),
    FieldSpec("first_name", FieldType.NAME, ("имя", "name")),
    FieldSpec("middle_name", FieldType.NAME, ("отчество", "patronymic")),
    FieldSpec("birth_date", FieldType.DATE, ("дата рождения", "birthday", "др")),
    FieldSpec("company_name", FieldType.COMPANY, ("организация", "наименование", "company")),
    FieldSpec("inn", FieldType.INN, ("инн",)),
    FieldSpec("ogrn", FieldType.OGRN, ("огрн", "огрнип")),
    FieldSpec("snils", FieldType.SNILS, ("снилс",)),
    FieldSpec("phone", FieldType.PHONE, ("телефон", "тел", "тел.", "mobile")),
    FieldSpec("email", FieldType.EMAIL, ("e-mail", "эл. почта", "почта", "электронная почта", "mail")),
)
_ACCOUNT = (
    FieldSpec(
        "account_number",
        FieldType.ACCOUNT,
        ("account", "лс", "лицевой счёт", "лицевой счет", "номер лс"),
        True,
    ),
    FieldSpec("postal_code", FieldType.CODE, ("индекс", "zip")),
    FieldSpec("settlement", FieldType.TEXT, ("населённый пункт", "населенный пункт", "город", "city")),
    FieldSpec("street", FieldType.TEXT, ("улица",)),
    FieldSpec("house", FieldType.CODE, ("дом",)),
    FieldSpec("flat", FieldType.CODE, ("квартира", "кв", "кв.")),
    FieldSpec("area", FieldType.DECIMAL, ("площадь",)),
    FieldSpec("opened_on", FieldType.DATE, ("дата открытия", "открыт")),
)

KIND_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    FileKind.CUSTOMERS: _PERSON,
    FileKind.ACCOUNTS: _PERSON + _ACCOUNT,
    FileKind.READINGS: (
        _ACCOUNT[0],
        FieldSpec("meter", FieldType.CODE, ("счётчик", "счетчик", "номер счётчика", "serial"), True),
        FieldSpec("date", FieldType.DATE, ("дата", "дата показаний"), True),
        FieldSpec("t1", FieldType.DECIMAL, ("показание", "т1", "value"), True),
        FieldSpec("t2", FieldType.DECIMAL, ("т2",)),
        FieldSpec("t3", FieldType.DECIMAL, ("т3",)),
    ),
    FileKind.CHARGES: (
        FieldSpec("charge_id", FieldType.CODE, ("id", "номер начисления", "документ"), True),
        _ACCOUNT[0],
        FieldSpec("service", FieldType.CODE, ("услуга", "код услуги"), True),
        FieldSpec("period", FieldType.DATE, ("период", "месяц"), True),
        FieldSpec("amount", FieldType.DECIMAL, ("сумма", "начислено"), True),
    ),
    FileKind.PAYMENTS: (
        FieldSpec("payment_id", FieldType.CODE, ("id", "номер платежа", "документ"), True),
        _ACCOUNT[0],
        FieldSpec("paid_on", FieldType.DATE, ("дата", "дата оплаты"), True),
        FieldSpec("amount", FieldType.DECIMAL, ("сумма", "оплачено"), True),
    ),
    FileKind.BALANCES: (
        _ACCOUNT[0],
        FieldSpec("service", FieldType.CODE, ("услуга", "код услуги"), True),
        FieldSpec("as_of", FieldType.DATE, ("дата", "на дату"), True),
        FieldSpec("amount", FieldType.DECIMAL, ("сальдо", "долг", "сумма"), True),
    ),
    FileKind.METERS: (
        _ACCOUNT[0],
        FieldSpec(
            "meter",
            FieldType.CODE,
            (
                "счётчик",
                "счетчик",
                "заводской номер",
                "зав. номер",
                "номер счётчика",
                "номер счетчика",
                "номер пу",
                "serial",
                "serial_number",
            ),
            True,
        ),
        FieldSpec("resource", FieldType.CODE, ("ресурс", "вид ресурса", "вид учёта", "вид учета"), True),
        FieldSpec(
            "zones", FieldType.DECIMAL, ("тарифность", "зоны", "число зон", "кол-во тарифов", "тарифов")
        ),
        FieldSpec("digits", FieldType.DECIMAL, ("разрядность", "число разрядов", "разрядов")),
        FieldSpec("model_name", FieldType.TEXT, ("модель", "марка", "тип прибора", "тип счётчика", "model")),
        FieldSpec("installed_on", FieldType.DATE, ("дата установки", "установлен", "installed"), True),
        FieldSpec(
            "next_verification_on",
            FieldType.DATE,
            (
                "дата поверки",
                "дата следующей поверки",
                "следующая поверка",
                "поверка до",
                "поверка",
                "next_verification",
            ),
            True,
        ),
        FieldSpec("status", FieldType.CODE, ("статус", "состояние")),
        FieldSpec("removed_on", FieldType.DATE, ("дата снятия", "снят", "дата демонтажа", "removed")),
        FieldSpec("location", FieldType.TEXT, ("место установки",)),
        FieldSpec("initial_on", FieldType.DATE, ("дата начальных показаний",)),
        FieldSpec("initial_t1", FieldType.DECIMAL, ("начальное показание", "начальные показания", "нач. т1")),
        FieldSpec("initial_t2", FieldType.DECIMAL, ("нач. т2",)),
        FieldSpec("initial_t3", FieldType.DECIMAL, ("нач. т3",)),
    ),
    FileKind.DOCUMENTS: (
        FieldSpec(
            "document_id", FieldType.CODE, ("id", "документ", "код документа", "номер документа"), True
        ),
        # A document is bound to an account, or (legacy archives) to the one client with the INN.
        FieldSpec("account_number", FieldType.ACCOUNT, _ACCOUNT[0].aliases),
        FieldSpec("inn", FieldType.INN, ("инн",)),
        FieldSpec("document_type", FieldType.TEXT, ("тип", "тип документа", "вид документа", "type")),
        FieldSpec("date", FieldType.DATE, ("дата", "дата документа")),
        FieldSpec("title", FieldType.TEXT, ("название", "наименование", "заголовок")),
        FieldSpec("file", FieldType.TEXT, ("файл", "путь", "имя файла", "path"), True),
        FieldSpec("sha256", FieldType.CODE, ("sha-256", "контрольная сумма", "хеш", "хэш", "checksum")),
    ),
}

# The key that identifies a record of the kind in its source (conflicting duplicates share it), and
# the fields whose values must agree within one file for other keys (one customer on several accounts).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    FileKind.CUSTOMERS: ("external_id",),
    FileKind.ACCOUNTS: ("account_number",),
    FileKind.READINGS: ("account_number", "meter", "date"),
    FileKind.CHARGES: ("charge_id",),
    FileKind.PAYMENTS: ("payment_id",),
    FileKind.BALANCES: ("account_number", "service"),
    FileKind.METERS: ("account_number", "meter"),
    FileKind.DOCUMENTS: ("document_id",),
}
# Keys under which another group of fields must agree: one customer listed on several account rows.
KIND_SECONDARY_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    FileKind.ACCOUNTS: ("external_id", ()),  # filled with CUSTOMER_FIELDS below
}
CUSTOMER_FIELDS = (
    "last_name", "first_name", "middle_name", "birth_date", "company_name", "inn", "ogrn", "snils",
    "phone", "email",
)  # fmt: skip


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    return KIND_FIELDS[kind]


def known_column_names(kind: str) -> set[str]:
    """Return every column name that identifies a field of the kind (for header sniffing)."""
    names: set[str] = set()
    for spec in KIND_FIELDS[kind]:
        names.add(spec.name)
        names.update(spec.aliases)
    return names


KIND_SECONDARY_KEYS[FileKind.ACCOUNTS] = ("external_id", CUSTOMER_FIELDS)
