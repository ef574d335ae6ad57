"""The registry of named conditions a hint rule can use.

A condition looks at one account's snapshot (hints.selectors.AccountSnapshot) with the rule's
parameters and returns the values of its placeholders when it holds, or None. Staff pick a condition
by name and set its parameters in the admin; adding a condition here adds it to the admin's list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from abonent.identity.selectors import AccountAction

if TYPE_CHECKING:
    from abonent.hints.selectors import AccountSnapshot, MeterState

Values = dict[str, str]


class Scope:
    """What a condition is about, so a page with many accounts shows a hint once where it should."""

    ACCOUNT = "account"  # one account: shown with that account
    CUSTOMER = "customer"  # the customer behind the account: shown once per customer
    LOGIN = "login"  # the person signed in: shown once per page


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    label: Promise
    default: int
    minimum: int = 0
    maximum: int = 366


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    label: Promise
    test: Callable[[AccountSnapshot, Mapping[str, int]], Values | None]
    scope: str = Scope.ACCOUNT
    requires_action: str = AccountAction.VIEW
    parameters: tuple[Parameter, ...] = ()
    placeholders: tuple[str, ...] = ()

    def clean_parameters(self, raw: object) -> dict[str, int]:
        """Return the parameters with defaults filled in, or raise ValidationError naming the problem."""
        if raw in (None, ""):
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationError(_('Parameters are written as {"name": number}.'))
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValidationError(
                _("This condition has no parameter %(names)s.") % {"names": ", ".join(unknown)}
            )
        return {name: _clean_number(parameter, raw.get(name)) for name, parameter in known.items()}

    def evaluate(self, snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
        """Return the placeholder values when the condition holds for the snapshot, else None."""
        return self.test(snapshot, {**self.clean_parameters({}), **parameters})


def _clean_number(parameter: Parameter, value: object) -> int:
    if value is None:
        return parameter.default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("%(name)s must be a whole number.") % {"name": parameter.name})
    if not parameter.minimum <= value <= parameter.maximum:
        raise ValidationError(
            _("%(name)s must be from %(min)d to %(max)d.")
            % {"name": parameter.name, "min": parameter.minimum, "max": parameter.maximum}
        )
    return value


CONDITIONS: dict[str, Condition] = {}


def register(condition: Condition) -> Condition:
    if condition.key in CONDITIONS:
        raise ValueError(f"condition {condition.key!r} is registered twice")
    CONDITIONS[condition.key] = condition
    return condition


def condition_choices() -> list[tuple[str, Promise]]:
    """Return the conditions as model field choices (a callable, so a new one needs no migration)."""
    return [(key, condition.label) for key, condition in CONDITIONS.items()]


# --- Values for placeholders ----------------------------------------------------------------------


def days_words(count: int) -> str:
    """Return "3 days" in the active language, with the right plural form."""
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def messages_words(count: int) -> str:
    return ngettext("%(count)d message", "%(count)d messages", count) % {"count": count}


def day_month(day: date) -> str:
    """Return "25 November" (in Russian "25 ноября")."""
    return date_format(day, "j E")


def day_month_year(day: date) -> str:
    return date_format(day, "j E Y")


def _meters_values(meters: list[MeterState]) -> Values | None:
    if not meters:
        return None
    first = min(meters, key=lambda meter: meter.next_verification_on)
    return {
        "meter": first.label,
        "date": day_month_year(first.next_verification_on),
        "count": str(len(meters)),
        "meters": ", ".join(meter.label for meter in meters),
    }


def _readings_values(snapshot: AccountSnapshot) -> Values:
    readings = snapshot.readings
    return {
        "closes_on": day_month(readings.window.end),
        "opens_on": day_month(readings.window.start),
        "days_left": str(readings.days_left),
        "days_left_words": days_words(readings.days_left),
    }


_READINGS_PLACEHOLDERS = ("closes_on", "opens_on", "days_left", "days_left_words")
_METER_PLACEHOLDERS = ("meter", "date", "count", "meters")
_BALANCE_PLACEHOLDERS = ("amount", "due_on")
_DAYS = Parameter("days", _("days"), default=2, minimum=0, maximum=31)


# --- The conditions -------------------------------------------------------------------------------


def _readings_window_open(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    readings = snapshot.readings
    if not readings.is_open or readings.all_submitted:
        return None
    return _readings_values(snapshot)


def _readings_window_closes_within(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    readings = snapshot.readings
    if not readings.is_open or readings.all_submitted or readings.days_left - 1 > parameters["days"]:
        return None
    return _readings_values(snapshot)


def _meter_verification_expires_within(
    snapshot: AccountSnapshot, parameters: Mapping[str, int]
) -> Values | None:
    return _meters_values(snapshot.meters_expiring_within(parameters["days"]))


def _meter_verification_expired(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    return _meters_values(snapshot.meters_expired)


def _paper_bill_enabled(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    return {} if snapshot.paper_bill else None


def _no_email_contact(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    return None if snapshot.has_email else {}


def _unread_messages(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    count = snapshot.unread_messages
    if count < max(parameters["at_least"], 1):
        return None
    return {"count": str(count), "count_words": messages_words(count)}


def _balance_values(snapshot: AccountSnapshot) -> Values | None:
    balance = snapshot.balance
    if balance is None or not balance.owed:
        return None
    amount = number_format(balance.amount, 2, force_grouping=True)
    return {"amount": f"{amount}\N{NO-BREAK SPACE}₽", "due_on": day_month_year(balance.due_on)}


def _balance_overdue(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    return _balance_values(snapshot) if snapshot.overdue else None


def _bill_due_within(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    balance = snapshot.balance
    if balance is None or snapshot.overdue or (balance.due_on - snapshot.today).days > parameters["days"]:
        return None
    return _balance_values(snapshot)


def _account_suspended(snapshot: AccountSnapshot, parameters: Mapping[str, int]) -> Values | None:
    return {} if snapshot.account.status == snapshot.account.Status.SUSPENDED else None


register(
    Condition(
        "readings_window_open",
        _("Meter readings are being accepted now"),
        _readings_window_open,
        requires_action=AccountAction.SUBMIT_READINGS,
        placeholders=_READINGS_PLACEHOLDERS,
    )
)
register(
    Condition(
        "readings_window_closes_within",
        _("Readings window closes within N days"),
        _readings_window_closes_within,
        requires_action=AccountAction.SUBMIT_READINGS,
        parameters=(_DAYS,),
        placeholders=_READINGS_PLACEHOLDERS,
    )
)
register(
    Condition(
        "meter_verification_expires_within",
        _("A meter's verification expires within N days"),
        _meter_verification_expires_within,
        parameters=(Parameter("days", _("days"), default=60, minimum=1, maximum=366),),
        placeholders=_METER_PLACEHOLDERS,
    )
)
register(
    Condition(
        "meter_verification_expired",
        _("A meter's verification has expired"),
        _meter_verification_expired,
        placeholders=_METER_PLACEHOLDERS,
    )
)
register(
    Condition(
        "paper_bill_enabled",
        _("The customer gets paper bills (can switch to e-bills)"),
        _paper_bill_enabled,
        scope=Scope.CUSTOMER,
        requires_action=AccountAction.EDIT_CONTACTS,
    )
)
register(
    Condition(
        "no_email_contact",
        _("The customer has no e-mail address"),
        _no_email_contact,
        scope=Scope.CUSTOMER,
        requires_action=AccountAction.EDIT_CONTACTS,
    )
)
register(
    Condition(
        "unread_messages",
        _("There are unread messages in the cabinet"),
        _unread_messages,
        scope=Scope.LOGIN,
        parameters=(Parameter("at_least", _("at least"), default=1, minimum=1, maximum=1000),),
        placeholders=("count", "count_words"),
    )
)
register(
    Condition(
        "balance_overdue",
        _("A bill is not paid by its due date"),
        _balance_overdue,
        requires_action=AccountAction.PAY,
        placeholders=_BALANCE_PLACEHOLDERS,
    )
)
register(
    Condition(
        "bill_due_within",
        _("A bill is due within N days"),
        _bill_due_within,
        requires_action=AccountAction.PAY,
        parameters=(Parameter("days", _("days"), default=5, minimum=0, maximum=31),),
        placeholders=_BALANCE_PLACEHOLDERS,
    )
)
register(
    Condition(
        "account_suspended",
        _("Supply on the account is suspended"),
        _account_suspended,
    )
)
