"""Why a reading was refused: one DomainError per rule, each with a code and a translated message.

A zone error names its zone (T1, T2, T3) so a form can show it next to the right input; a meter
error concerns the whole meter. `ReadingsRejected` carries every error of one submission, so a
customer who mistyped two zones learns about both at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import Conflict, DomainError, NotFound
from abonent.core.periods import BillingPeriod


def format_value(value: Decimal) -> str:
    """Write a register value the way people read it: no trailing zeros, the locale's decimal mark."""
    normal = value.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    return formats.number_format(normal, use_l10n=True)


def format_day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


class ReadingError(DomainError):
    """A rule a submitted reading broke; `zone` is set when it concerns one zone only."""

    code = "reading_error"
    default_message = _("The reading was not accepted.")

    def __init__(self, *, zone: str | None = None, **params: object) -> None:
        self.zone = zone
        shown = {key: _shown(value) for key, value in params.items()}
        super().__init__(str(self.default_message) % {"zone": zone, **shown}, zone=zone, **params)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "zone": self.zone, "detail": self.message}


def _shown(value: object) -> object:
    if isinstance(value, Decimal):
        return format_value(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, BillingPeriod):
        return value.label()
    return value


# --- zone errors -------------------------------------------------------------------------------------
class NotANumber(ReadingError):
    code = "not_a_number"
    default_message = _("%(zone)s reading “%(value)s” is not a number.")


class MissingZone(ReadingError):
    code = "zone_missing"
    default_message = _("Enter the %(zone)s reading as well: the meter has this zone.")


class UnknownZone(ReadingError):
    code = "unknown_zone"
    default_message = _("The meter has no zone %(zone)s.")


class NegativeReading(ReadingError):
    code = "negative"
    default_message = _("%(zone)s reading cannot be negative.")


class TooManyDigits(ReadingError):
    code = "too_many_digits"
    default_message = _(
        "%(zone)s reading %(value)s has more digits than the meter shows "
        "(%(digits)s before the decimal point)."
    )


class TooManyDecimals(ReadingError):
    code = "too_many_decimals"
    default_message = _(
        "%(zone)s reading %(value)s has more than %(decimals)s digits after the decimal point."
    )


class LowerThanPrevious(ReadingError):
    code = "lower_than_previous"
    default_message = _(
        "%(zone)s reading %(value)s is lower than the previous %(previous)s on %(previous_on)s."
    )


class HigherThanLater(ReadingError):
    code = "higher_than_later"
    default_message = _(
        "%(zone)s reading %(value)s is higher than the later reading %(later)s on %(later_on)s."
    )


# --- meter errors ------------------------------------------------------------------------------------
class NoReadings(ReadingError):
    code = "no_readings"
    default_message = _("Enter the readings.")


class VerificationExpired(ReadingError):
    code = "verification_expired"
    default_message = _(
        "Meter №%(serial)s: its verification expired on %(expired_on)s, so its readings are not accepted. "
        "Have the meter verified or replaced."
    )


class MeterDecommissioned(ReadingError):
    code = "meter_decommissioned"
    default_message = _("Meter №%(serial)s is decommissioned; its readings are not accepted.")


class MeterRemoved(ReadingError):
    code = "meter_removed"
    default_message = _(
        "Meter №%(serial)s was removed on %(removed_on)s; readings taken after that day are not accepted."
    )


class MeterFailed(ReadingError):
    code = "meter_failed"
    default_message = _("Meter №%(serial)s is registered as failed; its readings are not accepted.")


class FutureReading(ReadingError):
    code = "future_date"
    default_message = _("The reading date %(day)s is in the future.")


class BeforeInstallation(ReadingError):
    code = "before_installation"
    default_message = _("The reading date %(day)s is before the meter was installed (%(installed_on)s).")


class ReadingsRejected(ReadingError):
    """Every error of one submission; the message lists them all."""

    code = "readings_rejected"
    default_message = _("The readings were not accepted.")

    def __init__(self, errors: Sequence[ReadingError]) -> None:
        self.errors = list(errors)
        super().__init__()
        self.message = " ".join(error.message for error in self.errors) or self.message
        self.args = (self.message,)

    def for_zone(self, zone: str | None) -> list[str]:
        """Return the messages that belong next to the zone's input (None: the whole meter)."""
        return [error.message for error in self.errors if error.zone == zone]

    def as_list(self) -> list[dict[str, object]]:
        return [error.as_dict() for error in self.errors]


# --- bulk files ----------------------------------------------------------------------------------------
class UnknownMeter(ReadingError):
    code = "meter_not_found"
    default_message = _("No meter №%(meter)s on account %(account)s.")


class BadDate(ReadingError):
    code = "bad_date"
    default_message = _("“%(value)s” is not a date (expected DD.MM.YYYY or YYYY-MM-DD).")


class BulkFileError(DomainError):
    code = "bad_file"
    default_message = _("The file cannot be read.")


class MissingColumns(BulkFileError):
    code = "missing_columns"

    def __init__(self, columns: Sequence[str]) -> None:
        super().__init__(str(_("The file has no column for: %(columns)s.")) % {"columns": ", ".join(columns)})


# --- lookups and the voice robot ---------------------------------------------------------------------
class MeterNotFound(NotFound):
    code = "meter_not_found"
    default_message = _("Meter not found.")


class MeterBusy(Conflict):
    code = "meter_busy"
    default_message = _(
        "Readings of this meter are being saved from another device right now. Please try again."
    )


class ReviewNotPending(DomainError):
    code = "review_not_pending"
    default_message = _("This reading is not waiting for review any more.")


class WrongPin(DomainError):
    code = "wrong_pin"
    default_message = _("The account number or the PIN is wrong.")


class PinLocked(DomainError):
    code = "pin_locked"
    default_message = _("Too many wrong PINs. Try again later or call the contact center.")


# --- the meter registry --------------------------------------------------------------------------------
class ZonesOutOfRange(DomainError):
    code = "zones_out_of_range"
    default_message = _("A meter has 1 to 3 tariff zones.")


class DigitsOutOfRange(DomainError):
    code = "digits_out_of_range"
    default_message = _("A meter shows 4 to 9 digits before the decimal point.")


class VerificationBeforeInstallation(DomainError):
    code = "verification_before_installation"
    default_message = _("The next verification date is before the installation date.")


class RemovalDateOnActiveMeter(DomainError):
    code = "removal_date_on_active_meter"
    default_message = _("A removal date is given but the status says the meter is in service.")


class RemovedBeforeInstallation(DomainError):
    code = "removed_before_installation"
    default_message = _("The removal date is before the installation date.")


class MeterOnAnotherAccount(DomainError):
    code = "meter_on_another_account"
    default_message = _("A meter of this resource with this serial number is registered on another account.")
