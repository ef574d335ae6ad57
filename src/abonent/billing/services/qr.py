"""The payment QR code of GOST R 56042-2014: build the payload, parse it back, render it with segno.

Payload: "ST0001", the encoding flag (1 windows-1251, 2 UTF-8, 3 KOI8-R), a separator, then
Key=Value pairs joined by the separator. The five required keys come first and in the standard's
order; the separator must not occur in any value, so another one is chosen when "|" does. Bank apps
read the bytes in the flagged encoding, so the payload is bytes, never text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

import segno
from django.utils.translation import gettext

from abonent.billing.errors import QrPayloadError
from abonent.core.money import to_kopecks
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Customer

HEADER = b"ST0001"
REQUIRED = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")
REQUIRED_BLOCK_MAX_BYTES = 300
# Tried in this order (GOST 5.2: any character that occurs in no value; "|" is the usual one).
SEPARATORS = "|#;:^_~{}!$%&()*+,/@"
TECH_CODE_HOUSING = "02"


class Encoding(IntEnum):
    """The encoding flag of the payload and the codec it names."""

    WINDOWS_1251 = 1
    UTF_8 = 2
    KOI8_R = 3

    @property
    def codec(self) -> str:
        return {1: "cp1251", 2: "utf-8", 3: "koi8_r"}[self.value]


@dataclass(frozen=True, slots=True)
class Rule:
    """A field's limit: at most (or exactly) so many characters, digits only or any text."""

    max_length: int
    digits: bool = False
    exact: bool = False


_TEXT = Rule(255)  # the standard sets no limit for these; keep a code scannable on paper
RULES: dict[str, Rule] = {
    "Name": Rule(160),
    "PersonalAcc": Rule(20, digits=True, exact=True),
    "BankName": Rule(45),
    "BIC": Rule(9, digits=True, exact=True),
    "CorrespAcc": Rule(20, digits=True),
    "Sum": Rule(18, digits=True),
    "Purpose": Rule(160),  # the standard allows 210; 160 is what every bank app shows whole
    "PayeeINN": Rule(12, digits=True),
    "PayerINN": Rule(12, digits=True),
    "DrawerStatus": Rule(2),
    "KPP": Rule(9),
    "CBC": Rule(20),
    "OKTMO": Rule(11),
    "PaytReason": Rule(2),
    "TaxPeriod": Rule(10),
    "DocNo": Rule(15),
    "DocDate": Rule(10),
    "TaxPaytKind": Rule(2),
    "AddAmount": Rule(18, digits=True),
    "TechCode": Rule(2, digits=True, exact=True),
}
OPTIONAL = (
    "Sum",
    "Purpose",
    "PayeeINN",
    "PayerINN",
    "DrawerStatus",
    "KPP",
    "CBC",
    "OKTMO",
    "PaytReason",
    "TaxPeriod",
    "DocNo",
    "DocDate",
    "TaxPaytKind",
    "LastName",
    "FirstName",
    "MiddleName",
    "PayerAddress",
    "PersonalAccount",
    "DocIdx",
    "PensAcc",
    "Contract",
    "PersAcc",
    "Flat",
    "Phone",
    "PayerIdType",
    "PayerIdNum",
    "ChildFio",
    "BirthDate",
    "PaymTerm",
    "PaymPeriod",
    "Category",
    "ServiceName",
    "CounterId",
    "CounterVal",
    "QuittId",
    "QuittDate",
    "InstNum",
    "ClassNum",
    "SpecFio",
    "AddAmount",
    "RuleId",
    "ExecId",
    "RegType",
    "UIN",
    "TechCode",
)
# Bank apps match keys exactly; we accept any letter case on input and always write the standard's.
_CANONICAL = {key.lower(): key for key in (*REQUIRED, *OPTIONAL)}
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class QrPayload:
    """A parsed payload: its encoding, separator and fields in the order they came."""

    encoding: Encoding
    separator: str
    fields: dict[str, str]


def build_payload(fields: Mapping[str, str], *, encoding: Encoding = Encoding.UTF_8) -> bytes:
    """Return the payload bytes: required fields first in order, then the optional ones as given."""
    cleaned = _clean_fields(fields)
    ordered = [(key, cleaned[key]) for key in REQUIRED] + [
        (key, value) for key, value in cleaned.items() if key not in REQUIRED
    ]
    separator = choose_separator([value for _key, value in ordered])
    for key, value in ordered:
        _encode(f"{key}={value}", encoding, field=key)
    required = separator.join(f"{key}={value}" for key, value in ordered[: len(REQUIRED)])
    if len(required.encode(encoding.codec)) > REQUIRED_BLOCK_MAX_BYTES:
        message = gettext("The payee's details take more than %(limit)d bytes; shorten the names.")
        raise QrPayloadError(message % {"limit": REQUIRED_BLOCK_MAX_BYTES})
    body = separator.join(f"{key}={value}" for key, value in ordered)
    return HEADER + str(int(encoding)).encode() + separator.encode() + body.encode(encoding.codec)


def parse_payload(data: bytes) -> QrPayload:
    """Read a payload back into its encoding, separator and fields, refusing a malformed one."""
    if len(data) < 8 or not data.startswith(HEADER):
        raise QrPayloadError(gettext("Not a GOST R 56042 payment code: it must start with ST0001."))
    try:
        encoding = Encoding(int(data[6:7].decode("ascii")))
    except ValueError as exc:
        raise QrPayloadError(gettext("Unknown encoding flag in the payment code.")) from exc
    separator = data[7:8].decode("ascii", errors="replace")
    try:
        text = data[8:].decode(encoding.codec)
    except UnicodeDecodeError as exc:
        message = gettext("The payment code is not valid %(encoding)s text.")
        raise QrPayloadError(message % {"encoding": encoding.codec}) from exc
    fields: dict[str, str] = {}
    for pair in text.split(separator):
        if not pair:
            continue  # a trailing separator, which some generators add
        key, equals, value = pair.partition("=")
        canonical = _CANONICAL.get(key.strip().lower())
        if not equals or canonical is None or canonical in fields:
            raise QrPayloadError(
                gettext("Unknown or repeated field in the payment code: %(key)s") % {"key": key}
            )
        fields[canonical] = value
    _require(fields)
    return QrPayload(encoding=encoding, separator=separator, fields=fields)


def choose_separator(values: list[str]) -> str:
    """Return the first separator that occurs in none of the values."""
    for candidate in SEPARATORS:
        if not any(candidate in value for value in values):
            return candidate
    raise QrPayloadError(gettext("Every possible separator occurs in the data; simplify the texts."))


def qr_code(payload: bytes) -> segno.QRCode:
    """Return the QR code of the payload (byte mode, error correction M, never a Micro QR)."""
    return segno.make(payload, error="m", micro=False)


def qr_png(payload: bytes, *, scale: int = 4, border: int = 4) -> bytes:
    """Return the QR code as a PNG image."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_svg(payload: bytes, *, scale: int = 4, border: int = 4, title: str | None = None) -> str:
    """Return the QR code as an SVG document."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="svg", scale=scale, border=border, title=title, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def bill_payment_fields(
    *,
    account: Account,
    amount: Decimal,
    period: BillingPeriod,
    purpose: str | None = None,
    penalty: Decimal | None = None,
) -> dict[str, str]:
    """Return the fields of a bill's code: the payee's bank details, the amount, the payer and period."""
    organisation = account.branch.organisation
    fields = {
        "Name": organisation.name if len(organisation.name) <= 160 else organisation.short_name,
        "PersonalAcc": organisation.bank_account,
        "BankName": organisation.bank_name,
        "BIC": organisation.bank_bic,
        "CorrespAcc": organisation.bank_corr_account,
        "PayeeINN": organisation.inn,
        "KPP": organisation.kpp,
        "Sum": str(to_kopecks(amount)),
        "Purpose": purpose
        or gettext("Payment for utilities, account %(number)s") % {"number": account.number},
        "PersAcc": account.number,
        "PaymPeriod": f"{period.month:02d}{period.year:04d}",
        **_payer_fields(account.customer),
        "PayerAddress": str(account.premises)[:255],
        "TechCode": TECH_CODE_HOUSING,
    }
    if penalty:
        fields["AddAmount"] = str(to_kopecks(penalty))
    return {key: value for key, value in fields.items() if value}


def _payer_fields(customer: Customer) -> dict[str, str]:
    if customer.kind == Customer.Kind.LEGAL_ENTITY:
        return {"PayerINN": customer.inn}
    names = {
        "LastName": customer.last_name,
        "FirstName": customer.first_name,
        "MiddleName": customer.middle_name,
    }
    return {**names, "PayerINN": customer.inn}


def _clean_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Return the fields under the standard's key spelling, checked against their limits."""
    cleaned: dict[str, str] = {}
    for key, value in fields.items():
        canonical = _CANONICAL.get(key.lower())
        if canonical is None:
            raise QrPayloadError(gettext("The payment code has no field %(key)s.") % {"key": key})
        if canonical in cleaned:
            raise QrPayloadError(gettext("The field %(key)s is given twice.") % {"key": canonical})
        if not isinstance(value, str):
            raise QrPayloadError(gettext("The field %(key)s must be text.") % {"key": canonical})
        if value == "" and canonical not in REQUIRED:
            continue
        _check(canonical, value)
        cleaned[canonical] = value
    _require(cleaned)
    return cleaned


def _require(fields: Mapping[str, str]) -> None:
    missing = [key for key in REQUIRED if not fields.get(key)]
    if missing:
        message = gettext("The payment code needs the payee's %(fields)s.")
        raise QrPayloadError(message % {"fields": ", ".join(missing)})


def _check(key: str, value: str) -> None:
    """Refuse a value longer than its field allows, not digits where digits are due, or multi-line."""
    rule = RULES.get(key, _TEXT)
    if "\n" in value or "\r" in value:
        raise QrPayloadError(gettext("The field %(key)s must be one line.") % {"key": key})
    if len(value) > rule.max_length or (rule.exact and len(value) != rule.max_length):
        template = (
            gettext("The field %(key)s must have exactly %(length)d characters.")
            if rule.exact
            else gettext("The field %(key)s must have at most %(length)d characters.")
        )
        raise QrPayloadError(template % {"key": key, "length": rule.max_length})
    if rule.digits and not (value.isascii() and _DIGITS.fullmatch(value)):
        raise QrPayloadError(gettext("The field %(key)s must contain digits only.") % {"key": key})


def _encode(text: str, encoding: Encoding, *, field: str) -> bytes:
    try:
        return text.encode(encoding.codec)
    except UnicodeEncodeError as exc:
        message = gettext("The field %(key)s has characters that %(encoding)s cannot hold: %(chars)s")
        bad = text[exc.start : exc.end]
        raise QrPayloadError(message % {"key": field, "encoding": encoding.codec, "chars": bad}) from exc
