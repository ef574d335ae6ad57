"""API operations of the metering area (mounted at /api/v1/metering).

- GET  /accounts/{account_id}/meters    the account's meters, last readings and the readings window
- GET  /meters/{meter_id}/readings      a meter's readings, newest period first
- POST /meters/{meter_id}/readings      submit every zone of a meter: 201, or 400 with every error
- GET  /meters/{meter_id}/consumption   consumption by month with the same month a year earlier
- POST /ivr                             the voice robot's webhook (shared secret, see below)

The IVR webhook: the voice-robot gateway POSTs JSON with the header `X-IVR-Secret: <METERING_IVR_SECRET>`:
    {"account": "6600123456", "pin": "1234"}                     → the meters to choose from
    {"account": "...", "pin": "...", "meter": 1, "digits": "12345*678#"}
`meter` is the number the robot read out (1, 2, …); `digits` are the keys pressed: one value per zone
separated by `*`, an optional closing `#`. The answer always has `say` (text to speak, in `lang`,
Russian by default), `ok` and `code`; the first call also lists the meters.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from ninja import Field, Router, Schema, Status
from ninja.security import APIKeyHeader

from abonent.api.errors import ErrorOut
from abonent.core.errors import DomainError
from abonent.identity.selectors import AccountAction, account_for_action
from abonent.metering.errors import NotANumber, ReadingsRejected, format_value
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.selectors import (
    MeterCard,
    meter_cards,
    meter_for_user,
    monthly_consumption,
    reading_history,
    window_for,
)
from abonent.metering.services import authenticate_ivr_caller, submit_readings
from abonent.metering.windows import WindowStatus

router = Router(tags=["metering"])


# --- schemas -----------------------------------------------------------------------------------------
class WindowOut(Schema):
    period: str = Field(description="The period a reading submitted today counts for, YYYY-MM")
    state: str = Field(description="not_yet_open, open or closed")
    opens_on: date
    closes_on: date
    days_left: int
    message: str


class ReadingOut(Schema):
    id: int
    period: str
    values: dict[str, Decimal]
    submitted_at: datetime
    channel: str
    counts: bool = Field(description="False when superseded by a later submission or rejected on review")
    review: str


class MeterOut(Schema):
    id: int
    resource: str
    serial_number: str
    model: str
    zones: list[str]
    digits: int
    unit: str
    status: str
    next_verification_on: date
    removed_on: date | None = Field(
        None, description="The day a decommissioned meter was removed; readings taken after it are refused"
    )
    accepts_readings: bool
    refusal: str | None = Field(None, description="Why the meter takes no readings now")
    previous: ReadingOut | None = Field(None, description="The last reading of an earlier period")
    current: ReadingOut | None = Field(None, description="This period's reading, if submitted")


class AccountMetersOut(Schema):
    account: str
    window: WindowOut
    meters: list[MeterOut]


class ReadingsIn(Schema):
    values: dict[str, Decimal] = Field(..., examples=[{"T1": "12345.6", "T2": "6789"}])
    submitted_at: datetime | None = Field(
        None, description="When the reading was taken; staff integrations only (customers: now)"
    )


class SubmittedOut(Schema):
    reading: ReadingOut
    flagged: bool = Field(description="Accepted, but the consumption is unusually high and will be checked")
    message: str


class ReadingErrorOut(Schema):
    code: str
    zone: str | None
    detail: str


class RejectedOut(Schema):
    code: str
    detail: str
    errors: list[ReadingErrorOut]


class MonthOut(Schema):
    period: str
    consumption: Decimal | None
    by_zone: dict[str, Decimal]
    months: int
    last_year: Decimal | None


def _reading(reading: Reading) -> dict[str, Any]:
    return {
        "id": reading.pk,
        "period": str(reading.billing_period),
        "values": reading.values,
        "submitted_at": reading.submitted_at,
        "channel": reading.channel,
        "counts": reading.is_current,
        "review": reading.review,
    }


def _window(window: WindowStatus) -> dict[str, Any]:
    return {
        "period": str(window.period),
        "state": str(window.state),
        "opens_on": window.window.start,
        "closes_on": window.window.end,
        "days_left": window.days_left,
        "message": window.message,
    }


def _meter(card: MeterCard) -> dict[str, Any]:
    meter = card.meter
    return {
        "id": meter.pk,
        "resource": meter.resource,
        "serial_number": meter.serial_number,
        "model": meter.model_name,
        "zones": meter.zone_codes,
        "digits": meter.digits,
        "unit": card.unit,
        "status": meter.status,
        "next_verification_on": meter.next_verification_on,
        "removed_on": meter.removed_on,
        "accepts_readings": card.accepts_readings,
        "refusal": " ".join(error.message for error in card.blocked) or None,
        "previous": _reading(card.previous) if card.previous else None,
        "current": _reading(card.current) if card.current else None,
    }


# --- operations --------------------------------------------------------------------------------------
@router.get(
    "/accounts/{account_id}/meters", response=AccountMetersOut, url_name="metering_account_meters",
    summary="The account's meters with their last readings and the readings window",
)  # fmt: skip
def list_meters(request: HttpRequest, account_id: int) -> dict[str, Any]:
    account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    window = window_for(account=account)
    cards = meter_cards(account=account, window=window)
    return {"account": account.number, "window": _window(window), "meters": [_meter(c) for c in cards]}


@router.get(
    "/meters/{meter_id}/readings", response=list[ReadingOut], url_name="metering_readings",
    summary="A meter's readings, newest period first",
)  # fmt: skip
def list_readings(
    request: HttpRequest, meter_id: int, include_superseded: bool = False, limit: int = 36
) -> list[dict[str, Any]]:
    meter = meter_for_user(user=request.user, meter_id=meter_id)
    history = reading_history(
        meter=meter, include_superseded=include_superseded, limit=min(max(limit, 1), 120)
    )
    return [_reading(r) for r in history]


@router.post(
    "/meters/{meter_id}/readings",
    response={201: SubmittedOut, 400: RejectedOut, 404: ErrorOut, 409: ErrorOut},
    url_name="metering_submit",
    summary="Submit the readings of every zone of a meter",
)  # fmt: skip
def submit(request: HttpRequest, meter_id: int, payload: ReadingsIn) -> Status[dict[str, Any]]:
    meter = meter_for_user(user=request.user, meter_id=meter_id, action=AccountAction.SUBMIT_READINGS)
    when = payload.submitted_at if getattr(request.user, "is_staff", False) else None
    try:
        reading = submit_readings(
            meter=meter,
            values=payload.values,
            channel=Channel.API,
            submitted_by=request.user,
            submitted_at=when,
        )
    except ReadingsRejected as rejection:
        return Status(
            400, {"code": rejection.code, "detail": rejection.message, "errors": rejection.as_list()}
        )
    flagged = reading.review == Reading.Review.PENDING
    message = gettext("Readings accepted for %(period)s.") % {"period": reading.billing_period.label()}
    if flagged:
        message += " " + gettext("The consumption is much higher than usual; a specialist will check it.")
    return Status(201, {"reading": _reading(reading), "flagged": flagged, "message": message})


@router.get(
    "/meters/{meter_id}/consumption", response=list[MonthOut], url_name="metering_consumption",
    summary="Consumption by month (oldest first), with the same month a year earlier",
)  # fmt: skip
def consumption(request: HttpRequest, meter_id: int, months: int = 13) -> list[dict[str, Any]]:
    meter = meter_for_user(user=request.user, meter_id=meter_id)
    rows = monthly_consumption(meter=meter, months=min(max(months, 1), 36))
    return [
        {
            "period": str(row.period),
            "consumption": row.total,
            "by_zone": row.by_zone,
            "months": row.months,
            "last_year": row.last_year,
        }
        for row in rows
    ]


# --- the voice robot -----------------------------------------------------------------------------------
class IvrSecret(APIKeyHeader):
    """The gateway's shared secret; an empty setting switches the webhook off."""

    param_name = "X-IVR-Secret"

    def authenticate(self, request: HttpRequest, key: str | None) -> str | None:
        secret = settings.METERING_IVR_SECRET
        if secret and key and hmac.compare_digest(key.encode(), secret.encode()):
            return "ivr"
        return None


class IvrIn(Schema):
    account: str = Field(..., max_length=20, description="The account number keyed in")
    pin: str = Field(..., max_length=8)
    meter: int | None = Field(None, description="The meter's number as read out by the robot (1, 2, …)")
    digits: str | None = Field(
        None, max_length=40, description="Keys pressed: zones separated by *, # at the end"
    )
    lang: str = Field("ru", max_length=5)


class IvrMeterOut(Schema):
    number: int
    name: str
    zones: int


class IvrOut(Schema):
    ok: bool
    code: str
    say: str
    meters: list[IvrMeterOut] = []


@router.post(
    "/ivr", response=IvrOut, auth=IvrSecret(), url_name="metering_ivr", summary="Voice robot webhook"
)
def ivr(request: HttpRequest, payload: IvrIn) -> dict[str, Any]:
    language = payload.lang if payload.lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            return _ivr_answer(payload)
        except DomainError as error:
            return {"ok": False, "code": error.code, "say": error.message}


def _ivr_answer(payload: IvrIn) -> dict[str, Any]:
    account = authenticate_ivr_caller(account_number=payload.account, pin=payload.pin)
    window = window_for(account=account)
    cards = [card for card in meter_cards(account=account, window=window) if card.accepts_readings]
    menu = [
        {"number": n, "name": _spoken_meter(c.meter), "zones": c.meter.zones} for n, c in enumerate(cards, 1)
    ]
    if payload.meter is None or not payload.digits:
        return {"ok": True, "code": "choose_meter", "say": _menu_text(menu, window), "meters": menu}
    if not 1 <= payload.meter <= len(cards):
        return {"ok": False, "code": "no_such_meter", "say": _menu_text(menu, window), "meters": menu}
    card = cards[payload.meter - 1]
    reading = submit_readings(
        meter=card.meter,
        values=_ivr_values(payload.digits, card.meter),
        channel=Channel.IVR,
        submitted_by=None,
    )
    said = ", ".join(f"{_spoken_zone(zone)} {format_value(value)}" for zone, value in reading.values.items())
    text = gettext("Readings accepted for %(period)s: %(values)s. Thank you!") % {
        "period": reading.billing_period.label(),
        "values": said,
    }
    return {"ok": True, "code": "accepted", "say": text}


def _ivr_values(digits: str, meter: Meter) -> dict[str, Decimal | None]:
    parts = digits.strip().rstrip("#").split("*")
    values: dict[str, Decimal | None] = {}
    for zone, part in zip(meter.zone_codes, parts, strict=False):
        if not part.isdigit():
            raise ReadingsRejected([NotANumber(zone=zone, value=part)])
        values[zone] = Decimal(part)
    for extra in range(len(meter.zone_codes), len(parts)):
        values[f"T{extra + 1}"] = Decimal(parts[extra]) if parts[extra].isdigit() else None
    return values


def _spoken_meter(meter: Meter) -> str:
    return f"{meter.get_resource_display()}, {gettext('number ending in')} {meter.serial_number[-4:]}"


def _spoken_zone(zone: str) -> str:
    return {"T1": gettext("day"), "T2": gettext("night"), "T3": gettext("semi-peak")}.get(zone, zone)


def _menu_text(menu: list[dict[str, Any]], window: WindowStatus) -> str:
    if not menu:
        return gettext("This account has no meters that take readings now. Please call the contact center.")
    choices = " ".join(
        gettext("For %(name)s press %(number)d.") % {"name": item["name"], "number": item["number"]}
        for item in menu
    )
    zones = ngettext(
        "Then key in the reading and press the hash key.",
        "Then key in the readings of the zones, separated by the star key, and press the hash key.",
        max(item["zones"] for item in menu),
    )
    return f"{window.message} {choices} {zones}"
