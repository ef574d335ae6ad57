"""The one readings form for all meters and zones of an account, shared by the cabinet and the console.

The form only reads what people typed ("12 345,6" and "12345.6" are the same number); the rules
are the service's. `submit_readings_form` sends every filled meter to the service in one
transaction, so either all readings are accepted or none, and puts each error next to its field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext

from abonent.core.errors import NotFound
from abonent.core.errors import PermissionDenied as DomainPermissionDenied
from abonent.identity.models import User
from abonent.metering.errors import (
    MeterBusy,
    NoReadings,
    NotANumber,
    ReadingsRejected,
    format_day,
    format_value,
)
from abonent.metering.models import Reading
from abonent.metering.rules import parse_value
from abonent.metering.selectors import MeterCard, ZoneLine
from abonent.metering.services import submit_readings


def field_name(meter_id: int, zone: str) -> str:
    return f"meter-{meter_id}-{zone}"


def previous_text(card: MeterCard, line: ZoneLine) -> str:
    """Say what the customer last submitted for the zone, to compare with the dial."""
    parts = []
    if line.previous is not None and card.previous_on:
        parts.append(
            gettext("Previous: %(value)s on %(day)s.")
            % {"value": format_value(line.previous), "day": format_day(card.previous_on)}
        )
    else:
        parts.append(gettext("No previous reading yet."))
    if line.current is not None and card.current_on:
        parts.append(
            gettext("Submitted this period: %(value)s on %(day)s; a new value replaces it.")
            % {"value": format_value(line.current), "day": format_day(card.current_on)}
        )
    return " ".join(parts)


class ReadingsForm(forms.Form):
    """One big numeric input per zone of every meter that takes readings; an empty meter is skipped."""

    def __init__(self, *args: object, cards: list[MeterCard], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cards = cards
        self.meter_errors: dict[int, list[str]] = {}
        self.values: dict[int, dict[str, Decimal | None]] = {}
        for card in self.accepting:
            for line in card.zones:
                self.fields[field_name(card.meter.pk, line.zone)] = forms.CharField(
                    label=f"{line.name}, {card.unit}",
                    help_text=previous_text(card, line),
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(
                        attrs={"inputmode": "decimal", "autocomplete": "off", "class": "reading-input"}
                    ),
                )

    @property
    def accepting(self) -> list[MeterCard]:
        return [card for card in self.cards if card.accepts_readings]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        for card in self.accepting:
            typed = {
                line.zone: (cleaned.get(field_name(card.meter.pk, line.zone)) or "") for line in card.zones
            }
            if not any(text.strip() for text in typed.values()):
                continue
            self.values[card.meter.pk] = {
                zone: self._parse(card.meter.pk, zone, text) for zone, text in typed.items()
            }
        if not self.values and not self.errors:
            raise forms.ValidationError(NoReadings().message, code=NoReadings.code)
        return cleaned

    def _parse(self, meter_id: int, zone: str, text: str) -> Decimal | None:
        if not text.strip():
            return None  # the service names the missing zone
        try:
            return parse_value(text, zone=zone)
        except NotANumber as error:
            self.add_error(field_name(meter_id, zone), error.message)
            return None

    def card_errors(self, card: MeterCard) -> list[str]:
        return self.meter_errors.get(card.meter.pk, [])


def submit_readings_form(
    form: ReadingsForm, *, channel: str, user: User, submitted_at: datetime | None = None
) -> list[Reading] | None:
    """Submit every filled meter; on any error save nothing and mark every error next to its field.

    A meter whose input did not parse is left out, but the others are still checked, so a customer
    learns about all the problems in one go.
    """
    form.is_valid()
    by_id = {card.meter.pk: card for card in form.accepting}
    broken = {name.split("-")[1] for name in form.errors if name.startswith("meter-")}
    accepted: list[Reading] = []
    with transaction.atomic():
        for meter_id, values in form.values.items():
            if str(meter_id) in broken:
                continue
            try:
                accepted.append(
                    submit_readings(
                        meter=by_id[meter_id].meter,
                        values=values,
                        channel=channel,
                        submitted_by=user,
                        submitted_at=submitted_at,
                    )
                )
            except ReadingsRejected as rejection:
                _mark(form, meter_id, rejection)
            except MeterBusy as busy:  # said beside the meter; the customer sends the form again
                form.meter_errors.setdefault(meter_id, []).append(busy.message)
        if form.errors or form.meter_errors:
            transaction.set_rollback(True)
            return None
    return accepted


def _mark(form: ReadingsForm, meter_id: int, rejection: ReadingsRejected) -> None:
    for error in rejection.errors:
        name = field_name(meter_id, error.zone) if error.zone else None
        if name in form.fields:
            form.add_error(name, error.message)
        else:
            form.meter_errors.setdefault(meter_id, []).append(error.message)


# --- support for the views that show the form (cabinet and console) ---------------------------------
@contextmanager
def domain_errors_as_http() -> Iterator[None]:
    """Turn "not found" into 404 and "not allowed" into 403, the way the rest of the site answers."""
    try:
        yield
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def form_entries(form: ReadingsForm) -> list[dict[str, object]]:
    """Pair each meter card with its bound fields, for the template (which cannot build field names)."""
    entries = []
    for card in form.cards:
        fields = (
            [(line, form[field_name(card.meter.pk, line.zone)]) for line in card.zones]
            if card.accepts_readings
            else []
        )
        entries.append({"card": card, "fields": fields, "errors": form.card_errors(card)})
    return entries


def announce_readings(request: HttpRequest, readings: list[Reading], cards: list[MeterCard]) -> None:
    """Tell what was accepted, for which period, and which readings a specialist will check."""
    meters = {card.meter.pk: card.meter for card in cards}
    for reading in readings:
        meter = meters[reading.meter_id]
        values = ", ".join(f"{zone} {format_value(value)}" for zone, value in reading.values.items())
        params = {"meter": str(meter), "values": values, "period": reading.billing_period.label()}
        messages.success(request, gettext("%(meter)s: readings %(values)s accepted for %(period)s.") % params)
        if reading.review == Reading.Review.PENDING:
            messages.warning(
                request,
                gettext(
                    "%(meter)s: the consumption is much higher than usual. The readings are accepted; "
                    "a specialist will check them, and you need do nothing now."
                )
                % params,
            )
