"""Apply a chunk of customer (+ account) rows in bulk: diff by key, insert with COPY, update in batches.

Per chunk the applier makes a fixed number of queries whatever its size: the source's records for the
chunk's keys, the accounts already known by number, the customers sharing a blocking key (duplicate
search), then one bulk insert per table and one batched UPDATE per changed table. Nothing goes through
a model instance per row: at a million rows that alone would take longer than the whole import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from rapidfuzz import fuzz

from abonent.core.bulk import insert_rows, table_spec
from abonent.customers.dedup import LIKELY_SCORE, MAX_BLOCK, match_keys
from abonent.customers.models import (
    Account,
    Building,
    Contact,
    Customer,
    CustomerMerge,
    District,
    DuplicateCandidate,
    Premises,
)
from abonent.integration.appliers.base import ChunkResult, allocate_ids, load_records, save_records
from abonent.integration.cleaning import CUSTOMER_KIND, stable_hash
from abonent.integration.fields import CUSTOMER_FIELDS, FileKind

_CUSTOMER_COLUMNS = (
    "id", "kind", "last_name", "first_name", "middle_name", "birth_date", "company_name", "inn", "ogrn",
    "kpp", "paper_bill", "match_name", "match_block", "created_at", "updated_at",
)  # fmt: skip
_PEOPLE = ("pk", "match_name", "match_block", "last_name", "first_name", "middle_name", "company_name")
_IN_BATCH = 5000
_ACCOUNT_FIELDS = (
    "account_number",
    "postal_code",
    "settlement",
    "street",
    "house",
    "flat",
    "area",
    "opened_on",
)


@dataclass
class _Row:
    position: int
    values: dict[str, str]
    customer_id: int | None = None
    outcome: str = "N"
    reasons: list[str] = field(default_factory=list)


class CustomerAccountApplier:
    """Applies customers (kind "customers") or customers with accounts (kind "accounts") of one source."""

    def __init__(self, *, source_id: int, branch_id: int, kind: str, run_id: int | None, today: date) -> None:
        self.source_id, self.branch_id, self.kind, self.run_id = source_id, branch_id, kind, run_id
        self.today = today
        self.with_accounts = kind == FileKind.ACCOUNTS
        self.buildings: dict[tuple[str, str, str], int] = {}
        self.districts: dict[str, int] = {}

    # --- the chunk ------------------------------------------------------------------------------------
    def apply(self, rows: Sequence[tuple[int, dict[str, str]]]) -> ChunkResult:
        """Apply usable rows (position, cleaned values); return each row's outcome and quarantine reasons."""
        # Adapted once for the database (SQLite's text form): converting it for every row costs more.
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        items = [_Row(position, values) for position, values in rows]
        customers = load_records(self.source_id, "customer", {r.values["external_id"] for r in items})
        accounts = (
            load_records(self.source_id, "account", {r.values["account_number"] for r in items})
            if self.with_accounts
            else {}
        )
        if self.with_accounts:
            self._refuse_foreign_accounts(items, accounts)
        live = [r for r in items if not r.reasons]
        new_customers = self._customers(live, customers, now)
        if self.with_accounts:
            self._accounts([r for r in live if not r.reasons], accounts, now)
        self._queue_duplicates(new_customers)
        result = ChunkResult()
        for r in items:
            if r.reasons:
                result.quarantine[r.position] = r.reasons
            else:
                result.outcomes[r.position] = r.outcome
        return result

    def _refuse_foreign_accounts(self, items: list[_Row], known: dict[str, tuple[int, int | None]]) -> None:
        """Quarantine rows whose account number exists here but was not created from this source."""
        unknown = [r.values["account_number"] for r in items if r.values["account_number"] not in known]
        if not unknown:
            return
        taken = set(Account.objects.filter(number__in=unknown).values_list("number", flat=True))
        for r in items:
            if r.values["account_number"] in taken:
                r.reasons.append("account_exists_elsewhere")

    # --- customers -----------------------------------------------------------------------------------
    def _customers(self, rows: list[_Row], known: dict[str, tuple[int, int | None]], now: Any) -> list[_Row]:
        """Create, update or keep each row's customer; return the rows that created one."""
        by_key: dict[str, list[_Row]] = defaultdict(list)
        for r in rows:
            by_key[r.values["external_id"]].append(r)
        created, changed = [], []
        for key, group in by_key.items():
            first = group[0]
            digest = _customer_hash(first.values)
            record = known.get(key)
            if record is not None and record[1] is not None:
                for r in group:
                    r.customer_id = record[1]
                if record[0] != digest:
                    changed.append((first, digest))
                    for r in group:
                        r.outcome = "U"
            else:
                created.append((first, digest, group))
        self._refuse_exact_duplicates(created)
        created = [c for c in created if not c[0].reasons]
        ids = allocate_ids(Customer, len(created))
        inserts, contacts = [], []
        records: list[tuple[str, int, int | None]] = []
        for (first, digest, group), customer_id in zip(created, ids, strict=True):
            for r in group:
                r.customer_id, r.outcome = customer_id, "A"
            inserts.append(_customer_tuple(customer_id, first.values, now))
            contacts.extend(_contact_tuples(customer_id, first.values))
            records.append((first.values["external_id"], digest, customer_id))
        insert_rows(table_spec(Customer, _CUSTOMER_COLUMNS), inserts)
        _insert_contacts(contacts)
        self._update_customers(changed, now)
        records.extend((first.values["external_id"], digest, first.customer_id) for first, digest in changed)
        save_records(self.source_id, "customer", records, self.run_id, known)
        return [first for first, _digest, _group in created]

    def _refuse_exact_duplicates(self, created: list[tuple[_Row, int, list[_Row]]]) -> None:
        """Quarantine a new customer whose e-mail or INN another customer already has (here or earlier)."""
        emails = {c[0].values["email"] for c in created if c[0].values["email"]}
        inns = {c[0].values["inn"] for c in created if c[0].values["inn"]}
        merged = CustomerMerge.objects.filter(undone_at__isnull=True).values("merged_id")
        taken_email = dict(
            Contact.objects.filter(kind=Contact.Kind.EMAIL, value__in=emails)
            .exclude(customer_id__in=merged)
            .values_list("value", "customer_id")
        )
        taken_inn = dict(
            Customer.objects.filter(inn__in=inns).exclude(pk__in=merged).values_list("inn", "pk")
        )
        seen_email: dict[str, str] = {}
        seen_inn: dict[str, str] = {}
        for first, _digest, group in created:
            email, inn = first.values["email"], first.values["inn"]
            reason = ""
            if email and (email in taken_email or email in seen_email):
                reason = f"duplicate_customer:email:{taken_email.get(email) or seen_email[email]}"
            elif inn and (inn in taken_inn or inn in seen_inn):
                reason = f"duplicate_customer:inn:{taken_inn.get(inn) or seen_inn[inn]}"
            if reason:
                for r in group:
                    r.reasons.append(reason)
                continue
            if email:
                seen_email[email] = f"row {first.position + 1}"
            if inn:
                seen_inn[inn] = f"row {first.position + 1}"

    def _update_customers(self, changed: list[tuple[_Row, int]], now: Any) -> None:
        if not changed:
            return
        names = [c for c in _CUSTOMER_COLUMNS if c not in ("id", "created_at", "paper_bill")]
        assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in names)
        sql = f"UPDATE {Customer._meta.db_table} SET {assignments} WHERE id = %s"  # noqa: S608 - our own names
        params = []
        for first, _digest in changed:
            values = dict(
                zip(
                    _CUSTOMER_COLUMNS, _customer_tuple(first.customer_id or 0, first.values, now), strict=True
                )
            )
            params.append([values[c] for c in names] + [first.customer_id])
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        ids = [first.customer_id for first, _digest in changed if first.customer_id is not None]
        # Contacts a customer confirmed in the cabinet stay; the billing's unconfirmed ones are replaced.
        Contact.objects.filter(customer_id__in=ids, verified_at__isnull=True).delete()
        kept = set(Contact.objects.filter(customer_id__in=ids).values_list("customer_id", "kind", "value"))
        fresh = [
            t
            for first, _digest in changed
            for t in _contact_tuples(first.customer_id or 0, first.values)
            if (t[0], t[1], t[2]) not in kept
        ]
        _insert_contacts(fresh)

    # --- duplicates ----------------------------------------------------------------------------------
    def _queue_duplicates(self, created: list[_Row]) -> None:
        """Queue likely duplicates of the new customers: shared blocking key or phone, scored by rapidfuzz."""
        if not created:
            return
        keyed = {int(r.customer_id or 0): (*_keys(r.values), r) for r in created}
        names = {k[0] for k in keyed.values() if k[0]}
        blocks = {k[1] for k in keyed.values() if k[1]}
        phones = {r.values["phone"] for r in created if r.values["phone"]}
        people: dict[int, dict[str, Any]] = {}
        by_name: defaultdict[str, list[int]] = defaultdict(list)
        by_block: defaultdict[str, list[int]] = defaultdict(list)
        # Two indexed IN lookups (an OR of the two would make SQLite scan the table).
        for key, wanted, index in (("match_name", names, by_name), ("match_block", blocks, by_block)):
            for n in _values_in(Customer, key, wanted, _PEOPLE):
                people[n["pk"]] = n
                index[n[key]].append(n["pk"])
        by_phone = defaultdict(list)
        for n in _values_in(Contact, "value", phones, ("customer_id", "value"), kind=Contact.Kind.PHONE):
            by_phone[n["value"]].append(n["customer_id"])
        missing = {pk for pks in by_phone.values() for pk in pks} - set(people)
        for n in _values_in(Customer, "pk", missing, _PEOPLE):
            people[n["pk"]] = n
        candidates = []
        for customer_id, (name_key, block_key, row) in keyed.items():
            found: dict[int, set[str]] = defaultdict(set)
            for pk in by_name.get(name_key, [])[:MAX_BLOCK] if name_key else []:
                found[pk].add("name")
            for pk in by_block.get(block_key, [])[:MAX_BLOCK] if block_key else []:
                found[pk].add("block")
            for pk in by_phone.get(row.values["phone"], [])[:MAX_BLOCK]:
                found[pk].add("phone")
            found.pop(customer_id, None)
            candidates.extend(self._scored(customer_id, row, found, people))
        DuplicateCandidate.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=2000)

    def _scored(
        self, customer_id: int, row: _Row, found: dict[int, set[str]], people: dict[int, dict[str, Any]]
    ) -> list[DuplicateCandidate]:
        if not found:
            return []
        ours = _full_name(row.values)
        out = []
        for pk, shared in found.items():
            other = people.get(pk)
            if other is None or pk > customer_id:  # a pair is queued once: the newer customer to the older
                continue
            score = fuzz.token_sort_ratio(ours, _full_name(other)) * 0.7
            score += 20 * bool(shared & {"name", "block"}) + 15 * ("phone" in shared)
            if score >= LIKELY_SCORE:
                out.append(
                    DuplicateCandidate(
                        customer_id=customer_id,
                        duplicate_of_id=pk,
                        score=min(100, round(score)),
                        reasons=sorted(shared),
                        source=f"import:{self.run_id}",
                    )
                )
        return out

    # --- accounts -------------------------------------------------------------------------------------
    def _accounts(self, rows: list[_Row], known: dict[str, tuple[int, int | None]], now: Any) -> None:
        new, changed, records = [], [], []
        for r in rows:
            digest = stable_hash(
                "\x1f".join([r.values["external_id"], *(r.values[f] for f in _ACCOUNT_FIELDS)])
            )
            record = known.get(r.values["account_number"])
            if record is None or record[1] is None:
                new.append((r, digest))
                r.outcome = "A"
            elif record[0] != digest:
                changed.append((r, digest, record[1]))
                r.outcome = "A" if r.outcome == "A" else "U"
        self._ensure_buildings([r for r, _d in new] + [r for r, _d, _i in changed], now)
        premises_ids = allocate_ids(Premises, len(new) + len(changed))
        account_ids = allocate_ids(Account, len(new))
        premises, accounts = [], []
        for (r, digest), premises_id, account_id in zip(new, premises_ids, account_ids, strict=False):
            premises.append(self._premises_tuple(premises_id, r.values))
            accounts.append(
                (account_id, r.values["account_number"], self.branch_id, r.customer_id, premises_id,
                 Account.Status.ACTIVE, _date(r.values["opened_on"]) or self.today, now, now)
            )  # fmt: skip
            records.append((r.values["account_number"], digest, account_id))
        changed_premises = premises_ids[len(new) :]
        for (r, _digest, _account_id), premises_id in zip(changed, changed_premises, strict=True):
            premises.append(self._premises_tuple(premises_id, r.values))
        insert_rows(
            table_spec(Premises, ("id", "building_id", "kind", "number", "area_m2", "residents")), premises
        )
        insert_rows(
            table_spec(
                Account,
                (
                    "id",
                    "number",
                    "branch_id",
                    "customer_id",
                    "premises_id",
                    "status",
                    "opened_on",
                    "created_at",
                    "updated_at",
                ),
            ),
            accounts,
        )
        if changed:
            sql = (
                f"UPDATE {Account._meta.db_table} SET customer_id = %s, premises_id = %s, opened_on = %s,"  # noqa: S608
                " updated_at = %s WHERE id = %s"
            )
            params = [
                [r.customer_id, premises_id, _date(r.values["opened_on"]) or self.today, now, account_id]
                for (r, _digest, account_id), premises_id in zip(changed, changed_premises, strict=True)
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, params)
            records.extend(
                (r.values["account_number"], digest, account_id) for r, digest, account_id in changed
            )
        save_records(self.source_id, "account", records, self.run_id, known)

    def _premises_tuple(self, premises_id: int, values: dict[str, str]) -> tuple[Any, ...]:
        building = self.buildings[_building_key(values)]
        kind = Premises.Kind.FLAT if values["flat"] else Premises.Kind.HOUSE
        return (premises_id, building, kind, values["flat"][:20], Decimal(values["area"] or "0"), 0)

    def _ensure_buildings(self, rows: list[_Row], now: Any) -> None:
        wanted = {_building_key(r.values): r.values for r in rows} if rows else {}
        missing = {k: v for k, v in wanted.items() if k not in self.buildings}
        if not missing:
            return
        for b in Building.objects.filter(
            district__branch_id=self.branch_id,
            street__in={v["street"] for v in missing.values()},
            house__in={v["house"] for v in missing.values()},
        ).values("pk", "district__settlement", "street", "house"):
            self.buildings[(b["district__settlement"].lower(), b["street"].lower(), b["house"].lower())] = b[
                "pk"
            ]
        missing = {k: v for k, v in missing.items() if k not in self.buildings}
        for key, values in missing.items():
            district_id = self._district(values["settlement"] or "—")
            kind = Building.Kind.APARTMENT if values["flat"] else Building.Kind.HOUSE
            self.buildings[key] = Building.objects.create(
                district_id=district_id,
                kind=kind,
                postal_code=(values["postal_code"] or "000000")[:6],
                street=values["street"][:200],
                house=values["house"][:20],
            ).pk

    def _district(self, settlement: str) -> int:
        if settlement not in self.districts:
            district, _created = District.objects.get_or_create(
                branch_id=self.branch_id, settlement=settlement[:200], name=settlement[:200]
            )
            self.districts[settlement] = district.pk
        return self.districts[settlement]


def _keys(values: dict[str, str]) -> tuple[str, str]:
    """Return the customer's blocking keys, computed once per row (they are needed twice)."""
    cached = values.get("__keys__")
    if cached is not None:
        return cached  # type: ignore[return-value]
    keys = match_keys(
        kind=values[CUSTOMER_KIND],
        last_name=values["last_name"],
        first_name=values["first_name"],
        middle_name=values["middle_name"],
        birth_date=values["birth_date"] or None,
        company_name=values["company_name"],
    )
    values["__keys__"] = keys  # type: ignore[assignment]
    return keys


def _full_name(values: dict[str, Any]) -> str:
    if values.get("company_name"):
        return str(values["company_name"]).lower()
    return " ".join(str(values[p]).lower() for p in ("last_name", "first_name", "middle_name"))


def _customer_hash(values: dict[str, str]) -> int:
    return stable_hash("\x1f".join(values[f] for f in CUSTOMER_FIELDS))


def _customer_tuple(customer_id: int, v: dict[str, str], now: Any) -> tuple[Any, ...]:
    name_key, block_key = _keys(v)
    legal = v[CUSTOMER_KIND] == Customer.Kind.LEGAL_ENTITY
    return (
        customer_id, v[CUSTOMER_KIND], "" if legal else v["last_name"][:100],
        "" if legal else v["first_name"][:100],
        "" if legal else v["middle_name"][:100], _date(v["birth_date"]), v["company_name"][:300], v["inn"],
        v["ogrn"], "", True, name_key, block_key, now, now,
    )  # fmt: skip


def _contact_tuples(customer_id: int, v: dict[str, str]) -> list[tuple[Any, ...]]:
    out = []
    if v["phone"]:
        out.append((customer_id, Contact.Kind.PHONE, v["phone"], True, ""))
    if v["email"]:
        out.append((customer_id, Contact.Kind.EMAIL, v["email"], True, ""))
    return out


def _insert_contacts(rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    ids = allocate_ids(Contact, len(rows))
    spec = table_spec(Contact, ("id", "customer_id", "kind", "value", "is_primary", "note"))
    insert_rows(spec, [(pk, *row) for pk, row in zip(ids, rows, strict=True)])


def _building_key(values: dict[str, str]) -> tuple[str, str, str]:
    return ((values["settlement"] or "—").lower(), values["street"].lower(), values["house"].lower())


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _values_in(
    model: Any, field: str, wanted: set[Any], columns: tuple[str, ...], **filters: Any
) -> list[dict[str, Any]]:
    """Return the rows whose field is in `wanted`, querying in batches the databases accept."""
    # Plain SQL: the ORM prepares each of thousands of IN values one by one (seconds per million rows).
    quote = connection.ops.quote_name
    meta = model._meta
    names = [meta.pk.column if c == "pk" else meta.get_field(c).column for c in columns]
    key = meta.pk.column if field == "pk" else meta.get_field(field).column
    extra = "".join(f" AND {quote(meta.get_field(f).column)} = %s" for f in filters)
    values = sorted(wanted)
    found: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), _IN_BATCH):
            batch = values[start : start + _IN_BATCH]
            sql = (
                f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(meta.db_table)}"  # noqa: S608 - model names
                f" WHERE {quote(key)} IN ({', '.join(['%s'] * len(batch))}){extra}"
            )
            cursor.execute(sql, [*batch, *filters.values()])
            found.extend(dict(zip(columns, row, strict=True)) for row in cursor.fetchall())
    return found
