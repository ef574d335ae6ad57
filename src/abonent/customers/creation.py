"""Create a client by hand (staff) with the duplicate check every new client goes through."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.customers.dedup import CustomerCandidate, check_not_duplicate, queue_candidates, set_match_keys
from abonent.customers.models import Contact, Customer
from abonent.customers.services import normalize_contact
from abonent.customers.sync import Topic, record_change


@transaction.atomic
def create_customer(
    *,
    kind: str,
    created_by: Any,
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    birth_date: date | None = None,
    company_name: str = "",
    inn: str = "",
    phone: str = "",
    email: str = "",
    source: str = "staff",
) -> Customer:
    """Create the customer unless another has its e-mail or INN (DuplicateCustomer); queue likely twins."""
    phone = normalize_contact(kind=Contact.Kind.PHONE, value=phone) if phone else ""
    email = normalize_contact(kind=Contact.Kind.EMAIL, value=email) if email else ""
    customer = Customer(
        kind=kind,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        middle_name=middle_name.strip(),
        birth_date=birth_date,
        company_name=company_name.strip(),
        inn=inn.strip(),
    )
    customer.full_clean(exclude=["match_name", "match_block"])
    matches = check_not_duplicate(
        candidate=CustomerCandidate(
            kind=kind,
            last_name=customer.last_name,
            first_name=customer.first_name,
            middle_name=customer.middle_name,
            birth_date=birth_date,
            company_name=customer.company_name,
            inn=customer.inn,
            phones=(phone,) if phone else (),
            emails=(email,) if email else (),
        )
    )
    set_match_keys(customer)
    customer.save()
    for contact_kind, value in ((Contact.Kind.PHONE, phone), (Contact.Kind.EMAIL, email)):
        if value:
            Contact.objects.create(customer=customer, kind=contact_kind, value=value, is_primary=True)
    queue_candidates(customer_id=customer.pk, matches=matches, source=source)
    record_change(
        topic=Topic.CUSTOMER_CREATED, customer_id=customer.pk, payload={"kind": kind, "source": source}
    )
    record_audit_event(
        actor=created_by,
        action=AuditEvent.Action.CREATE,
        target=customer,
        reason=f"customer created ({source})",
        personal_data=True,
    )
    return customer
