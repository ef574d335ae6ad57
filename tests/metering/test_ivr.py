"""The voice robot's webhook: shared secret, account + PIN, choosing a meter, keyed-in readings."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from abonent.metering.models import Channel, IvrPin, Reading
from abonent.metering.services import set_ivr_pin

pytestmark = pytest.mark.django_db

SECRET = "robot-secret-123"
URL = "/api/v1/metering/ivr"


@pytest.fixture(autouse=True)
def _secret(settings) -> None:  # type: ignore[no-untyped-def]
    settings.METERING_IVR_SECRET = SECRET


@pytest.fixture
def pin(account) -> str:  # type: ignore[no-untyped-def]
    set_ivr_pin(account=account, pin="4321")
    return "4321"


def call(payload: dict, secret: str = SECRET):  # type: ignore[no-untyped-def]
    return Client().post(
        URL, data=json.dumps(payload), content_type="application/json", headers={"X-IVR-Secret": secret}
    )


def test_the_pin_is_stored_hashed(account, pin) -> None:  # type: ignore[no-untyped-def]
    stored = IvrPin.objects.get(account=account).pin_hash
    assert pin not in stored and stored.startswith(("md5$", "argon2", "pbkdf2"))


def test_without_the_secret_the_webhook_is_closed(account, pin, settings) -> None:  # type: ignore[no-untyped-def]
    assert call({"account": account.number, "pin": pin}, secret="wrong").status_code == 401
    assert Client().post(URL, data="{}", content_type="application/json").status_code == 401
    settings.METERING_IVR_SECRET = ""  # not configured: closed even to an empty header
    assert call({"account": account.number, "pin": pin}, secret="").status_code == 401


def test_first_call_lists_the_meters_to_choose_from(account, pin, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    body = call({"account": account.number, "pin": pin}).json()
    assert body["ok"] is True and body["code"] == "choose_meter"
    assert [m["zones"] for m in body["meters"]] == [2, 1]  # electricity first, as on the bill
    assert "E100"[-4:] in body["say"] and "2" in body["say"]


def test_keyed_in_zones_are_submitted(account, pin, meter) -> None:  # type: ignore[no-untyped-def]
    body = call({"account": account.number, "pin": pin, "meter": 1, "digits": "13400*5600#"}).json()
    assert body == {"ok": True, "code": "accepted", "say": body["say"], "meters": []}
    reading = Reading.objects.get(period=datetime.date(2026, 11, 1))
    assert reading.values == {"T1": 13400, "T2": 5600}
    assert (reading.channel, reading.submitted_by) == (Channel.IVR, None)
    assert "13400" in body["say"] and "5600" in body["say"]


def test_rule_errors_are_spoken(account, pin, meter) -> None:  # type: ignore[no-untyped-def]
    body = call({"account": account.number, "pin": pin, "meter": 1, "digits": "13000*5600#"}).json()
    assert body["ok"] is False and body["code"] == "readings_rejected"
    assert "13260" in body["say"]
    body = call({"account": account.number, "pin": pin, "meter": 1, "digits": "13400#"}).json()
    assert body["code"] == "readings_rejected" and "T2" in body["say"]
    assert not Reading.objects.filter(period=datetime.date(2026, 11, 1)).exists()


def test_an_unknown_meter_number_repeats_the_menu(account, pin, meter) -> None:  # type: ignore[no-untyped-def]
    body = call({"account": account.number, "pin": pin, "meter": 7, "digits": "1#"}).json()
    assert body["code"] == "no_such_meter" and len(body["meters"]) == 1


def test_a_wrong_pin_or_account_says_the_same(account, pin) -> None:  # type: ignore[no-untyped-def]
    wrong_pin = call({"account": account.number, "pin": "0000"}).json()
    wrong_account = call({"account": "0000000000", "pin": pin}).json()
    assert wrong_pin["code"] == wrong_account["code"] == "wrong_pin"
    assert wrong_pin["say"] == wrong_account["say"]


def test_too_many_wrong_pins_lock_the_account(account, pin, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METERING_IVR_MAX_ATTEMPTS = 3
    for _ in range(3):
        assert call({"account": account.number, "pin": "0000"}).json()["code"] == "wrong_pin"
    assert call({"account": account.number, "pin": pin}).json()["code"] == "pin_locked"


def test_answers_in_english_on_request(account, pin, meter) -> None:  # type: ignore[no-untyped-def]
    body = call({"account": account.number, "pin": pin, "lang": "en"}).json()
    assert "For" in body["say"] and "press 1" in body["say"]
