"""Find customers that are one person or company written twice, and merge them (with an undo).

Blocking keys keep the search fast on millions of customers: a candidate is compared only with the
customers sharing one of its keys — the same normalised name and birth date (`match_name`), the same
birth date and initials (`match_block`, catches typos in the name), the same INN, phone or e-mail.
Each key is an indexed lookup; the few customers found are scored with rapidfuzz.

Exact duplicates (the same e-mail or INN on another customer) are refused where a client is created;
likely ones (score ≥ LIKELY_SCORE) are queued as DuplicateCandidate for a person to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.models import AuditEvent
from abonent.customers.models import Contact, Customer, CustomerMerge, DuplicateCandidate

LIKELY_SCORE = 80
MAX_BLOCK = 200  # a key shared by more customers (a call-centre phone) tells nothing
UNMERGE_PERIOD = timedelta(days=90)

_LATIN_LOOKALIKES = str.maketrans("AaBCcEeHKkMOoPpTXxYy", "АаВСсЕеНКкМОоРрТХхУу")
_SPACES = re.compile(r"\s+")
_LEGAL_FORMS = re.compile(r"\b(ооо|оао|зао|пао|ао|ип|нко|тсж|жск|мкд|ук)\b|[«»\"'.,]")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


class DuplicateCustomer(DomainError):
    code = "duplicate_customer"
    default_message = _("Another customer already has this e-mail or INN.")

    def __init__(self, *, customer_id: int, reason: str) -> None:
        super().__init__(customer_id=customer_id, reason=reason)
        self.customer_id = customer_id
        self.reason = reason


class MergeNotAllowed(DomainError):
    code = "merge_not_allowed"
    default_message = _("These customers cannot be merged.")


class UnmergeExpired(DomainError):
    code = "unmerge_expired"
    default_message = _("This merge is too old to be undone, or was undone already.")


@dataclass(frozen=True)
class CustomerCandidate:
    """What is known of a client being created or changed (normalised or not)."""

    kind: str = Customer.Kind.INDIVIDUAL
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    birth_date: date | None = None
    company_name: str = ""
    inn: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    exclude_id: int | None = None  # the customer itself, when it is a change

    @classmethod
    def of(cls, customer: Customer) -> CustomerCandidate:
        contacts = list(customer.contacts.values_list("kind", "value")) if customer.pk else []
        return cls(
            kind=customer.kind,
            last_name=customer.last_name,
            first_name=customer.first_name,
            middle_name=customer.middle_name,
            birth_date=customer.birth_date,
            company_name=customer.company_name,
            inn=customer.inn,
            phones=tuple(v for k, v in contacts if k == Contact.Kind.PHONE),
            emails=tuple(v for k, v in contacts if k == Contact.Kind.EMAIL),
            exclude_id=customer.pk,
        )


@dataclass(frozen=True)
class Match:
    customer_id: int
    score: int
    exact: bool
    reasons: tuple[str, ...] = field(default=())


# --- keys ------------------------------------------------------------------------------------------
def normalize_name(text: str) -> str:
    """Return a name part as compared: Cyrillic look-alikes fixed, ё → е, spaces collapsed, lower case."""
    text = _SPACES.sub(" ", (text or "").strip()).lower()
    if _CYRILLIC.search(text):
        text = text.translate(_LATIN_LOOKALIKES).lower()
    return text.replace("ё", "е")


def normalize_company(text: str) -> str:
    return _SPACES.sub(" ", _LEGAL_FORMS.sub(" ", normalize_name(text))).strip()


def match_keys(
    *,
    kind: str,
    last_name: str,
    first_name: str,
    middle_name: str,
    birth_date: date | str | None,
    company_name: str,
) -> tuple[str, str]:
    """Return (match_name, match_block) of a customer; empty where there is too little to match on."""
    if kind == Customer.Kind.LEGAL_ENTITY:
        company = normalize_company(company_name)
        return (f"co:{company}"[:200], f"co:{company[:12]}") if company else ("", "")
    last, first, middle = normalize_name(last_name), normalize_name(first_name), normalize_name(middle_name)
    if not (last and first):
        return "", ""
    born = birth_date.isoformat() if isinstance(birth_date, date) else (birth_date or "")
    name = f"{last} {first} {middle}".strip()
    return f"{name}|{born}"[:200], (f"{born}|{last[0]}{first[0]}" if born else "")


def set_match_keys(customer: Customer) -> None:
    """Fill the customer's blocking keys from its names (call before saving)."""
    customer.match_name, customer.match_block = match_keys(
        kind=customer.kind,
        last_name=customer.last_name,
        first_name=customer.first_name,
        middle_name=customer.middle_name,
        birth_date=customer.birth_date,
        company_name=customer.company_name,
    )


# --- search ----------------------------------------------------------------------------------------
def find_duplicates(*, candidate: CustomerCandidate, limit: int = 10) -> list[Match]:
    """Return the existing customers this candidate may be, best first; `exact` ones must not be doubled."""
    found = _blocked(candidate)
    if not found:
        return []
    live = Customer.objects.filter(pk__in=list(found)[: MAX_BLOCK * 2]).exclude(pk__in=_merged_away())
    rows = live.values(
        "pk", "kind", "last_name", "first_name", "middle_name", "birth_date", "company_name", "inn"
    )
    matches = [_score(candidate, row, found[row["pk"]]) for row in rows]
    matches = [m for m in matches if m.exact or m.score >= LIKELY_SCORE]
    return sorted(matches, key=lambda m: (-m.exact, -m.score, m.customer_id))[:limit]


def _blocked(candidate: CustomerCandidate) -> dict[int, set[str]]:
    """Return the ids of customers sharing a blocking key with the candidate, with the keys shared.

    One round trip: each key is an indexed equality lookup (capped at MAX_BLOCK), joined by UNION ALL.
    """
    name_key, block_key = match_keys(
        kind=candidate.kind,
        last_name=candidate.last_name,
        first_name=candidate.first_name,
        middle_name=candidate.middle_name,
        birth_date=candidate.birth_date,
        company_name=candidate.company_name,
    )
    quote = connection.ops.quote_name
    customers, contacts = quote(Customer._meta.db_table), quote(Contact._meta.db_table)
    branches: list[str] = []
    params: list[Any] = []
    for reason, column, value in (("name", "match_name", name_key), ("block", "match_block", block_key),
                                  ("inn", "inn", candidate.inn)):  # fmt: skip
        if value:
            branches.append(
                f"SELECT id, '{reason}' FROM {customers} WHERE {quote(column)} = %s LIMIT {MAX_BLOCK}"  # noqa: S608
            )
            params.append(value)
    for reason, kind, values in (("phone", Contact.Kind.PHONE, candidate.phones),
                                 ("email", Contact.Kind.EMAIL, candidate.emails)):  # fmt: skip
        if values:
            marks = ", ".join(["%s"] * len(values))
            branches.append(
                f"SELECT customer_id, '{reason}' FROM {contacts}"  # noqa: S608 - our literals; values are parameters
                f" WHERE kind = %s AND value IN ({marks}) LIMIT {MAX_BLOCK}"
            )
            params.extend([kind, *values])
    if not branches:
        return {}
    # Reasons and column names are our own literals; every value is a parameter.
    sql = " UNION ALL ".join(f"SELECT * FROM ({branch}) AS b{i}" for i, branch in enumerate(branches))  # noqa: S608
    found: dict[int, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, reason in cursor.fetchall():
            if pk != candidate.exclude_id:
                found.setdefault(pk, set()).add(reason)
    return found


def _merged_away() -> Any:  # a values() subquery of merged ids
    return CustomerMerge.objects.filter(undone_at__isnull=True).values("merged_id")


def _score(candidate: CustomerCandidate, row: Mapping[str, Any], shared: set[str]) -> Match:
    """Score 0..100 how likely the row is the candidate: name similarity plus agreeing identifiers."""
    if candidate.kind == Customer.Kind.LEGAL_ENTITY or row["kind"] == Customer.Kind.LEGAL_ENTITY:
        similarity = fuzz.token_sort_ratio(
            normalize_company(candidate.company_name), normalize_company(row["company_name"])
        )
    else:
        ours = " ".join(
            normalize_name(p) for p in (candidate.last_name, candidate.first_name, candidate.middle_name)
        )
        theirs = " ".join(normalize_name(row[p]) for p in ("last_name", "first_name", "middle_name"))
        similarity = fuzz.token_sort_ratio(ours, theirs)
    score = similarity * 0.7
    if candidate.birth_date and row["birth_date"] == candidate.birth_date:
        score += 20
    score += 15 * bool(shared & {"phone", "email"}) + 30 * ("inn" in shared)
    exact = "email" in shared or ("inn" in shared and bool(candidate.inn))
    return Match(row["pk"], min(100, round(score)), exact, tuple(sorted(shared)))


def check_not_duplicate(*, candidate: CustomerCandidate) -> list[Match]:
    """Raise DuplicateCustomer for an exact duplicate; return the likely ones to queue after saving."""
    matches = find_duplicates(candidate=candidate)
    for match in matches:
        if match.exact:
            reason = "email" if "email" in match.reasons else "inn"
            raise DuplicateCustomer(customer_id=match.customer_id, reason=reason)
    return matches


def queue_candidates(*, customer_id: int, matches: Iterable[Match], source: str) -> int:
    """Queue likely duplicates of the customer for review (a pair already queued stays as it is)."""
    rows = [
        DuplicateCandidate(
            customer_id=customer_id,
            duplicate_of_id=m.customer_id,
            score=m.score,
            reasons=list(m.reasons),
            source=source,
        )
        for m in matches
        if m.customer_id != customer_id
    ]
    DuplicateCandidate.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- merge -----------------------------------------------------------------------------------------
def _customer_relations() -> list[tuple[type[models.Model], str]]:
    """Return every (model, FK field name) pointing at Customer, except the dedup bookkeeping itself."""
    skip = {DuplicateCandidate, CustomerMerge}
    found = []
    for model in apps.get_models():
        if model in skip:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.ForeignKey) and f.related_model is Customer:
                found.append((model, f.name))
    return found


@transaction.atomic
def merge_customers(
    *, survivor: Customer, merged: Customer, merged_by: Any, reason: str = ""
) -> CustomerMerge:
    """Move everything of `merged` (accounts, contacts, documents, appeals, history) to `survivor`."""
    if (
        survivor.pk == merged.pk
        or CustomerMerge.objects.filter(
            Q(merged=merged) | Q(merged=survivor), undone_at__isnull=True
        ).exists()
    ):
        raise MergeNotAllowed()
    moved: dict[str, dict[str, list[int]]] = {}
    for model, name in _customer_relations():
        ids = list(model._default_manager.filter(**{name: merged.pk}).values_list("pk", flat=True))
        kept = []
        for pk in ids:
            try:
                with transaction.atomic():
                    model._default_manager.filter(pk=pk).update(**{name: survivor.pk})
                kept.append(pk)
            except IntegrityError:
                continue  # the survivor already has its own (a consent in force): this one stays behind
        if kept:
            moved.setdefault(model._meta.label, {})[name] = kept
    merge = CustomerMerge.objects.create(
        survivor=survivor, merged=merged, moved=moved, merged_by=merged_by, reason=reason
    )
    DuplicateCandidate.objects.filter(
        Q(customer=merged, duplicate_of=survivor) | Q(customer=survivor, duplicate_of=merged)
    ).update(status=DuplicateCandidate.Status.MERGED, decided_at=timezone.now(), decided_by=merged_by)
    record_audit_event(
        actor=merged_by,
        action=AuditEvent.Action.UPDATE,
        target=survivor,
        reason="customers merged",
        changes={
            "merged": merged.pk,
            "moved": {label: sum(map(len, f.values())) for label, f in moved.items()},
        },
        personal_data=True,
    )
    return merge


@transaction.atomic
def unmerge_customers(*, merge: CustomerMerge, undone_by: Any) -> CustomerMerge:
    """Move back what the merge moved (within UNMERGE_PERIOD) and reopen nothing else."""
    locked = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if locked.undone_at is not None or timezone.now() - locked.merged_at > UNMERGE_PERIOD:
        raise UnmergeExpired()
    for label, fields in locked.moved.items():
        model = apps.get_model(label)
        for name, ids in fields.items():
            model._default_manager.filter(pk__in=ids, **{name: locked.survivor_id}).update(
                **{name: locked.merged_id}
            )
    locked.undone_at, locked.undone_by = timezone.now(), undone_by
    locked.save(update_fields=["undone_at", "undone_by"])
    record_audit_event(
        actor=undone_by,
        action=AuditEvent.Action.UPDATE,
        target=locked.survivor,
        reason="customer merge undone",
        changes={"merged": locked.merged_id},
        personal_data=True,
    )
    return locked


@transaction.atomic
def decide_distinct(*, candidate: DuplicateCandidate, decided_by: Any) -> None:
    """Record that the pair are different customers; the pair is not queued again."""
    DuplicateCandidate.objects.filter(pk=candidate.pk, status=DuplicateCandidate.Status.OPEN).update(
        status=DuplicateCandidate.Status.DISTINCT, decided_at=timezone.now(), decided_by=decided_by
    )


def merged_customer_ids(*, customer_ids: Sequence[int]) -> set[int]:
    """Return which of the customers were merged into another (and not un-merged)."""
    return set(
        CustomerMerge.objects.filter(merged_id__in=customer_ids, undone_at__isnull=True).values_list(
            "merged_id", flat=True
        )
    )
