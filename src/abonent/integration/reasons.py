"""Translated words for the codes an import stores: quarantine reasons, warnings and rule counters.

Rows keep machine codes (`bad_date:birth_date`, `duplicate_customer:email:42`) so the API and reports
stay stable; people read them through `describe_reason` and `describe_rule` in their own language.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_FIELDS = {
    "external_id": _("client code"),
    "full_name": _("full name"),
    "last_name": _("last name"),
    "first_name": _("first name"),
    "middle_name": _("patronymic"),
    "name": _("last and first name"),
    "birth_date": _("birth date"),
    "company_name": _("company name"),
    "inn": _("INN"),
    "ogrn": _("OGRN"),
    "snils": _("SNILS"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "account_number": _("account number"),
    "postal_code": _("postal code"),
    "settlement": _("settlement"),
    "street": _("street"),
    "house": _("house"),
    "flat": _("flat"),
    "address": _("address"),
    "area": _("area"),
    "opened_on": _("opening date"),
    "meter": _("meter"),
    "date": _("date"),
    "t1": _("reading T1"),
    "t2": _("reading T2"),
    "t3": _("reading T3"),
    "charge_id": _("charge id"),
    "payment_id": _("payment id"),
    "service": _("service"),
    "period": _("period"),
    "amount": _("amount"),
    "paid_on": _("payment date"),
    "as_of": _("balance date"),
    "resource": _("resource"),
    "document_id": _("document id"),
    "file": _("file"),
    "zones": _("tariff zones"),
    "digits": _("digit count"),
    "model_name": _("meter model"),
    "installed_on": _("installation date"),
    "next_verification_on": _("next verification date"),
    "status": _("status"),
    "removed_on": _("removal date"),
    "location": _("location"),
    "initial_on": _("initial reading date"),
    "initial_t1": _("initial reading T1"),
    "initial_t2": _("initial reading T2"),
    "initial_t3": _("initial reading T3"),
    "document_type": _("document type"),
    "title": _("title"),
    "sha256": _("SHA-256"),
}

# Reasons whose detail is one field (or fields joined by "/").
_ABOUT_FIELD = {
    "bad_date": _("Not a date, or out of range: %(field)s"),
    "bad_number": _("Not a number: %(field)s"),
    "bad_account_number": _("An account number has 6 to 20 digits: %(field)s"),
    "inn_invalid": _("Wrong length or check digit: %(field)s"),
    "ogrn_invalid": _("Wrong length or check digit: %(field)s"),
    "snils_invalid": _("Wrong length or check digit: %(field)s"),
    "missing_required": _("Required value missing: %(field)s"),
    "phone_invalid": _("Not a phone number, left out: %(field)s"),
    "email_invalid": _("Not an e-mail address, left out: %(field)s"),
    "misplaced_value": _("A value of the wrong kind that could not be moved: %(field)s"),
    "conflicting_duplicate": _("Other rows have the same %(field)s with different values"),
}
_PLAIN = {
    "extra_fields": _("More fields than the header: the row is shifted"),
    "account_exists_elsewhere": _("This account number exists but was not created from this source"),
    "changed_after_posting": _("Changed after it was posted: the ledger takes a correction, not an edit"),
    "unknown_account": _("No account with this number"),
    # meters
    "unknown_resource": _("Unknown resource: electricity, heating, hot water, cold water or gas expected"),
    "zones_out_of_range": _("A meter has 1 to 3 tariff zones"),
    "digits_out_of_range": _("A meter shows 4 to 9 digits before the decimal point"),
    "verification_before_installation": _("The next verification date is before the installation date"),
    "installed_in_future": _("The installation date is in the future"),
    "meter_on_another_account": _("A meter of this resource with this serial number is on another account"),
    "unknown_meter_status": _("Unknown meter status: active or removed expected"),
    "removal_date_on_active_meter": _("A removal date is given but the status says the meter is in service"),
    "removed_before_installation": _("The removal date is before the installation date"),
    # documents
    "unknown_document_type": _(
        "Unknown document type: bill, act, contract, reconciliation act or letter expected"
    ),
    "files_not_provided": _(
        "The manifest came without its files: upload a ZIP with the manifest and the files, "
        "or put them in the watched folder"
    ),
    "file_missing": _("The file is not in the manifest's folder"),
    "file_outside_folder": _("The path leads outside the manifest's folder (absolute or with ..)"),
    "file_too_large": _("The file is larger than documents accept"),
    "file_empty": _("The file is empty"),
    "checksum_mismatch": _("The file's SHA-256 differs from the one in the manifest"),
    "unsupported_file_type": _(
        "Not a PDF, an image or an office document without macros (told by the file's contents)"
    ),
    "file_refused": _("The documents archive refused the file"),
    "document_account_changed": _("This document id was imported for another account before"),
    "unknown_inn": _("No client with this INN"),
    "several_clients_with_inn": _("Several clients have this INN: give the account number"),
}
# Why metering refused a new meter's initial reading (its own codes).
_READING = {
    "zone_missing": _("a reading of every tariff zone of the meter is needed"),
    "unknown_zone": _("the meter has fewer tariff zones than readings given"),
    "negative": _("a reading cannot be negative"),
    "too_many_digits": _("more digits than the meter shows"),
    "too_many_decimals": _("more than 3 digits after the decimal point"),
    "verification_expired": _("the meter's verification had expired by the reading date"),
    "before_installation": _("the reading date is before the installation"),
    "future_date": _("the reading date is in the future"),
}
_RULES = {
    "exact_duplicate": _("Exact duplicate rows (skipped)"),
    "equivalent_duplicate": _("Rows equal after cleaning (skipped)"),
    "conflicting_duplicate": _("Conflicting duplicates (quarantined)"),
    "swapped_fields": _("Values in each other's columns (swapped back)"),
    "shifted_field": _("Value in the neighbouring column (moved back)"),
    "misplaced_value": _("Value of the wrong kind (quarantined)"),
    "homoglyphs": _("Latin look-alikes in Cyrillic text (replaced)"),
    "yo": _("ё written as е"),
    "whitespace": _("Spaces trimmed"),
    "case": _("Names put in title case"),
    "phone_normalised": _("Phones rewritten as +7XXXXXXXXXX"),
    "email_normalised": _("E-mails in lower case"),
    "phone_invalid": _("Invalid phones left out"),
    "email_invalid": _("Invalid e-mails left out"),
    "inn_invalid": _("Wrong INN (quarantined)"),
    "ogrn_invalid": _("Wrong OGRN (quarantined)"),
    "snils_invalid": _("Wrong SNILS (quarantined)"),
    "bad_date": _("Not a date (quarantined)"),
    "bad_number": _("Not a number (quarantined)"),
    "bad_account_number": _("Wrong account number (quarantined)"),
    "missing_required": _("Required value missing (quarantined)"),
    "extra_fields": _("More fields than the header (quarantined)"),
}


def field_label(name: str) -> str:
    """Return the translated name of one of our fields (the code itself for an unknown one)."""
    return str(_FIELDS.get(name, name))


def describe_reason(code: str) -> str:
    """Return the translated sentence for a stored reason or warning code."""
    name, _sep, detail = code.partition(":")
    if name in _ABOUT_FIELD:
        fields = " / ".join(field_label(part) for part in detail.split("/") if part)
        return str(_ABOUT_FIELD[name]) % {"field": fields}
    if name in _PLAIN:
        return str(_PLAIN[name])
    if name == "duplicate_customer":
        return _duplicate_customer(detail)
    if name == "initial_reading":
        why = str(_READING.get(detail, detail))
        return gettext("The initial reading was refused: %(why)s") % {"why": why}
    if name == "rejected":
        return gettext("Refused by the service: %(code)s") % {"code": detail}
    return code


def _duplicate_customer(detail: str) -> str:
    kind, _sep, holder = detail.partition(":")
    what = field_label(kind)
    if holder.startswith("row "):
        return gettext("Row %(row)s of this file has the same %(field)s") % {
            "row": holder.removeprefix("row "),
            "field": what,
        }
    return gettext("Customer #%(id)s already has this %(field)s") % {"id": holder, "field": what}


def describe_rule(name: str) -> str:
    """Return the translated name of a cleaning rule counter of the run report."""
    return str(_RULES.get(name, name))
