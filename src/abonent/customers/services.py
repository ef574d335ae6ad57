"""Writes of customer data made by customers themselves: contacts and how bills are delivered.

Every change is audited with who made it and from where; contact values are kept out of the log
(masked), so the log never becomes a second copy of personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.freshness import touch_customers
from abonent.core.models import AuditEvent
from abonent.core.normalize import mask_phone, normalize_email, normalize_phone
from abonent.customers.models import Contact, Customer
from abonent.customers.sync import Topic, record_change

if TYPE_CHECKING:
    from abonent.identity.models import User


class InvalidContact(DomainError):
    code = "invalid_contact"
    default_message = _("This is not a valid phone number or e-mail address.")


def mask_contact(*, kind: str, value: str) -> str:
    """Return a contact with most of it hidden, for logs and confirmation screens."""
    if not value:
        return ""
    if kind == Contact.Kind.PHONE:
        return mask_phone(value)
    name, _at, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"


def normalize_contact(*, kind: str, value: str) -> str:
    """Return the canonical spelling of a phone or an e-mail, or raise InvalidContact."""
    if kind == Contact.Kind.PHONE:
        normal = normalize_phone(value)
    elif kind == Contact.Kind.EMAIL:
        normal = normalize_email(value)
        normal = normal if "@" in normal.strip("@") else ""
    else:
        raise ValueError(f"unknown contact kind {kind!r}")
    if not normal:
        raise InvalidContact()
    return normal


@transaction.atomic
def update_contact(
    *, customer: Customer, kind: str, value: str, changed_by: User, request: HttpRequest | None = None
) -> Contact:
    """Make `value` the customer's primary phone or e-mail; a new value stays unconfirmed until confirmed.

    The same value as now changes nothing (and keeps its confirmation).
    """
    value = normalize_contact(kind=kind, value=value)
    contacts = Contact.objects.select_for_update().filter(customer=customer, kind=kind)
    contact = contacts.filter(is_primary=True).first() or contacts.order_by("id").first()
    if contact is not None and contact.value == value:
        return contact
    old_value = contact.value if contact else ""
    if contact is None:
        contact = Contact.objects.create(customer=customer, kind=kind, value=value, is_primary=True)
        action = AuditEvent.Action.CREATE
    else:
        contact.value, contact.is_primary, contact.verified_at = value, True, None
        contact.save(update_fields=["value", "is_primary", "verified_at"])
        action = AuditEvent.Action.UPDATE
    touch_customers([customer.pk])
    record_change(
        topic=Topic.CONTACT_CHANGED, customer_id=customer.pk, payload={"kind": kind, "value": value}
    )
    record_audit_event(
        actor=changed_by,
        action=action,
        target=contact,
        reason="contact changed in the cabinet",
        changes={
            "kind": kind,
            "value": [mask_contact(kind=kind, value=old_value), mask_contact(kind=kind, value=value)],
            "verified": False,
        },
        personal_data=True,
        request=request,
    )
    return contact


@transaction.atomic
def set_paper_bill(
    *, customer: Customer, paper_bill: bool, changed_by: User, request: HttpRequest | None = None
) -> Customer:
    """Turn paper bills by post on or off for the customer (bills stay in the cabinet either way)."""
    was = Customer.objects.select_for_update().values_list("paper_bill", flat=True).get(pk=customer.pk)
    customer.paper_bill = paper_bill
    if was == paper_bill:
        return customer
    customer.save(update_fields=["paper_bill", "updated_at"])
    touch_customers([customer.pk])
    record_change(topic=Topic.PAPER_BILL_CHANGED, customer_id=customer.pk, payload={"paper_bill": paper_bill})
    record_audit_event(
        actor=changed_by,
        action=AuditEvent.Action.UPDATE,
        target=customer,
        reason="paper bill delivery changed in the cabinet",
        changes={"paper_bill": [was, paper_bill]},
        personal_data=True,
        request=request,
    )
    return customer


@transaction.atomic
def confirm_contact(
    *, contact: Contact, value: str, confirmed_by: User, request: HttpRequest | None = None
) -> bool:
    """Mark the contact confirmed if it still holds `value` (where the code went); return whether it did."""
    confirmed = Contact.objects.filter(pk=contact.pk, value=value, verified_at__isnull=True).update(
        verified_at=timezone.now()
    )
    if confirmed:
        record_change(
            topic=Topic.CONTACT_CONFIRMED,
            customer_id=contact.customer_id,
            payload={"kind": contact.kind, "value": value},
        )
        record_audit_event(
            actor=confirmed_by,
            action=AuditEvent.Action.UPDATE,
            target=contact,
            reason="contact confirmed by a one-time code",
            changes={"kind": contact.kind, "verified": True},
            personal_data=True,
            request=request,
        )
    return bool(confirmed)
