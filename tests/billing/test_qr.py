"""The GOST R 56042-2014 payment QR code: payload, limits, separator, encodings, and a real decoder."""

from __future__ import annotations

import io
import string
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import zxingcpp
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from abonent.billing.errors import QrPayloadError
from abonent.billing.services.qr import (
    OPTIONAL,
    REQUIRED,
    RULES,
    SEPARATORS,
    Encoding,
    bill_payment_fields,
    build_payload,
    parse_payload,
    qr_png,
    qr_svg,
)
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account

PAYEE = {
    "Name": 'АО "ЭнергосбыТ Плюс"',
    "PersonalAcc": "40702810016020100001",
    "BankName": "ПАО Сбербанк",
    "BIC": "046577674",
    "CorrespAcc": "30101810500000000674",
}


def decode(png: bytes) -> bytes:
    """Read the QR code in a PNG with zxing-cpp and return its raw bytes."""
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.bytes


def test_the_payload_starts_with_the_header_and_keeps_the_required_order() -> None:
    payload = build_payload({"Sum": "512345", **PAYEE, "PersAcc": "6600123456"})
    assert payload.decode("utf-8") == (
        'ST00012|Name=АО "ЭнергосбыТ Плюс"|PersonalAcc=40702810016020100001|BankName=ПАО Сбербанк'
        "|BIC=046577674|CorrespAcc=30101810500000000674|Sum=512345|PersAcc=6600123456"
    )


@pytest.mark.parametrize(
    ("encoding", "flag", "codec"),
    [
        (Encoding.WINDOWS_1251, b"1", "cp1251"),
        (Encoding.UTF_8, b"2", "utf-8"),
        (Encoding.KOI8_R, b"3", "koi8_r"),
    ],
)
def test_the_bytes_are_in_the_flagged_encoding(encoding: Encoding, flag: bytes, codec: str) -> None:
    payload = build_payload(PAYEE, encoding=encoding)
    assert payload[6:7] == flag
    assert 'Name=АО "ЭнергосбыТ Плюс"'.encode(codec) in payload
    assert parse_payload(payload).fields == PAYEE


def test_a_value_with_the_separator_switches_to_another_one() -> None:
    payload = build_payload({**PAYEE, "Purpose": "Оплата | электроэнергия #1"})
    assert payload[7:8] == b";"  # "|" and "#" occur in the purpose
    assert parse_payload(payload).fields["Purpose"] == "Оплата | электроэнергия #1"


def test_the_keys_are_written_in_the_standards_spelling() -> None:
    payload = build_payload({**PAYEE, "persacc": "6600123456", "SUM": "100"})
    assert b"PersAcc=6600123456" in payload
    assert b"Sum=100" in payload


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("PersonalAcc", "4070281001602010000", "exactly 20"),
        ("BIC", "04657767X", "digits only"),
        ("Name", "Я" * 161, "at most 160"),
        ("BankName", "Б" * 46, "at most 45"),
        ("Sum", "12.50", "digits only"),
        ("Purpose", "П" * 161, "at most 160"),
        ("PayeeINN", "6671" * 4, "at most 12"),
        ("TechCode", "2", "exactly 2"),
        ("Purpose", "две\nстроки", "one line"),
    ],
)
def test_field_limits_give_clear_errors(field: str, value: str, problem: str) -> None:
    with translation.override("en"), pytest.raises(QrPayloadError, match=problem) as error:
        build_payload({**PAYEE, field: value})
    assert field in error.value.message


def test_a_missing_required_field_is_named() -> None:
    fields = {key: value for key, value in PAYEE.items() if key != "BIC"}
    with pytest.raises(QrPayloadError, match="BIC"):
        build_payload(fields)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(QrPayloadError, match="Summ"):
        build_payload({**PAYEE, "Summ": "100"})


def test_a_character_the_encoding_cannot_hold_is_named() -> None:
    with pytest.raises(QrPayloadError, match="₽"):
        build_payload({**PAYEE, "Purpose": "Оплата 100 ₽"}, encoding=Encoding.WINDOWS_1251)


def test_the_required_block_is_at_most_300_bytes() -> None:
    long_names = {**PAYEE, "Name": "Ж" * 160, "BankName": "Б" * 45}  # 2 bytes a letter in UTF-8
    with translation.override("en"), pytest.raises(QrPayloadError, match="300 bytes"):
        build_payload(long_names)
    assert build_payload(long_names, encoding=Encoding.WINDOWS_1251)  # one byte a letter fits


@pytest.mark.parametrize(
    "data",
    [b"", b"XX00012|Name=a", b"ST00019|Name=a", b"ST00012|Name", b"ST00012|Foo=1", b"ST00012|Name=a|Name=b"],
)
def test_a_malformed_payload_is_refused(data: bytes) -> None:
    with pytest.raises(QrPayloadError):
        parse_payload(data)


def test_the_parser_accepts_a_trailing_separator() -> None:
    assert parse_payload(build_payload(PAYEE) + b"|").fields == PAYEE


@pytest.mark.parametrize("encoding", list(Encoding))
def test_the_png_decodes_back_to_the_same_fields(encoding: Encoding) -> None:
    fields = {**PAYEE, "Sum": "512345", "Purpose": "Электроэнергия за март 2026", "TechCode": "02"}
    payload = build_payload(fields, encoding=encoding)

    decoded = decode(qr_png(payload))

    assert decoded == payload
    assert parse_payload(decoded).fields == fields


def test_the_svg_is_a_document_of_the_same_code() -> None:
    svg = qr_svg(build_payload(PAYEE), title="Оплата по QR")
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed
    assert root.tag.endswith("svg")
    assert "Оплата по QR" in svg


def test_a_bill_code_carries_the_account_amount_period_and_payer(account: Account) -> None:
    fields = bill_payment_fields(
        account=account, amount=Decimal("5123.45"), period=BillingPeriod(2026, 3), penalty=Decimal("153.46")
    )
    payload = build_payload(fields)

    parsed = parse_payload(decode(qr_png(payload))).fields

    organisation = account.branch.organisation
    assert [parsed[key] for key in REQUIRED] == [
        organisation.name,
        organisation.bank_account,
        organisation.bank_name,
        organisation.bank_bic,
        organisation.bank_corr_account,
    ]
    assert parsed["Sum"] == "512345"
    assert parsed["AddAmount"] == "15346"
    assert parsed["PersAcc"] == "6600123456"
    assert parsed["PaymPeriod"] == "032026"
    assert (parsed["LastName"], parsed["FirstName"], parsed["MiddleName"]) == ("Иванова", "Мария", "Петровна")
    assert parsed["TechCode"] == "02"


# --- Round trips --------------------------------------------------------------------------------------

# Text all three encodings hold (KOI8-R has no «» or №): Russian letters, digits, punctuation, separators.
_COMMON = "".join(chr(c) for c in range(ord("А"), ord("я") + 1)) + "Ёё" + string.ascii_letters + string.digits
_TEXT = _COMMON + ' .,-"()/|#;:^_~'


def _value(key: str) -> st.SearchStrategy[str]:
    rule = RULES.get(key)
    if rule is not None and rule.digits:
        low = rule.max_length if rule.exact else 1
        return st.text(alphabet=string.digits, min_size=low, max_size=rule.max_length)
    size = rule.max_length if rule else 60
    low = size if rule is not None and rule.exact else 1
    return st.text(alphabet=_TEXT, min_size=low, max_size=min(size, 60))


@st.composite
def payment_fields(draw) -> dict[str, str]:
    fields = {key: draw(_value(key)) for key in REQUIRED}
    for key in draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=6)):
        fields[key] = draw(_value(key))
    return fields


@settings(max_examples=150, deadline=None)
@given(fields=payment_fields(), encoding=st.sampled_from(list(Encoding)))
def test_build_then_parse_gives_back_the_fields(fields: dict[str, str], encoding: Encoding) -> None:
    try:
        payload = build_payload(fields, encoding=encoding)
    except QrPayloadError as error:
        # The only refusals of valid-looking text: too long a required block, or no free separator.
        assert "300 bytes" in error.message or "separator" in error.message
        return
    parsed = parse_payload(payload)
    assert parsed.fields == fields
    assert parsed.separator in SEPARATORS
    assert all(parsed.separator not in value for value in fields.values())


@settings(max_examples=15, deadline=None)
@given(fields=payment_fields(), encoding=st.sampled_from(list(Encoding)))
def test_the_image_round_trip_survives_any_fields(fields: dict[str, str], encoding: Encoding) -> None:
    try:
        payload = build_payload(fields, encoding=encoding)
    except QrPayloadError:
        return
    assert parse_payload(decode(qr_png(payload, scale=3))).fields == fields
