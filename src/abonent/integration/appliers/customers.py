"""Apply a chunk of customer (+ account) rows set-wise: diff by key, insert in bulk, update in batches.

The chunk stays a polars frame from the cleaning to the database. Content hashes and blocking keys
are column expressions; the source's records, the accounts and the customers holding an e-mail or
INN are looked up for all the chunk's keys at once; new customers, contacts, premises, accounts
and records are written by COPY (PostgreSQL) or executemany (SQLite); the duplicate search is one
self-join on the blocking keys and phones. A chunk therefore costs a fixed number of statements
whatever its size, and no Python object is built per row except the parameters the database driver
needs. Changed customers and accounts (rare: a re-sent file) are updated by executemany.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import polars as pl
from django.db import connection
from rapidfuzz import fuzz

from abonent.core.bulk import table_spec
from abonent.customers.dedup import LIKELY_SCORE, MAX_BLOCK
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
from abonent.integration.appliers.base import ChunkResult, allocate_ids
from abonent.integration.appliers.frames import (
    insert_frame,
    now_literal,
    rows_frame,
    select_in,
    table_frame,
    update_rows,
)
from abonent.integration.appliers.keys import (
    ACCOUNT_HASH,
    CUSTOMER_HASH,
    with_customer_keys,
)
from abonent.integration.appliers.pairs import CUSTOMER_KEYS, queue_all_duplicates
from abonent.integration.appliers.records import load_records_frame, save_records_frame
from abonent.integration.cleaning import CUSTOMER_KIND

POSITION = "__position__"
_REASON = "__refused__"
_ID = "__customer_id__"
_OUTCOME = "__outcome__"
_CUSTOMER_COLUMNS = (
    "id", "kind", "last_name", "first_name", "middle_name", "birth_date", "company_name", "inn", "ogrn",
    "kpp", "paper_bill", "match_name", "match_block", "created_at", "updated_at",
)  # fmt: skip
_ACCOUNT_COLUMNS = (
    "id", "number", "branch_id", "customer_id", "premises_id", "status", "opened_on", "created_at",
    "updated_at",
)  # fmt: skip
_CONTACT_COLUMNS = ("id", "customer_id", "kind", "value", "is_primary", "note")
_PREMISES_COLUMNS = ("id", "building_id", "kind", "number", "area_m2", "residents")
_BUILDING_COLUMNS = ("id", "district_id", "kind", "postal_code", "street", "house")
_RECORD = {"key": pl.String, "row_hash": pl.Int64, "target_id": pl.Int64}
# The values the applier looks up in the database before it writes (records, taken numbers, e-mails, INNs).
_LOOKED_UP = ("external_id", "account_number", "email", "inn")
_FIRST = "__first_position__"  # + the column's name
_HELD = ("email", "inn")  # one customer each: a new customer holding another's is refused


class CustomerAccountApplier:
    """Applies customers (kind "customers") or customers with accounts (kind "accounts") of one source."""

    def __init__(self, *, source_id: int, branch_id: int, kind: str, run_id: int | None, today: date) -> None:
        self.source_id, self.branch_id, self.kind, self.run_id = source_id, branch_id, kind, run_id
        self.today = today
        self.with_accounts = kind == "accounts"
        self.buildings: dict[str, int] = {}  # settlement, street, house joined by \x1f, lower case
        self.districts: dict[str, int] = {}
        # Initial-load mode: per usable row of the run, the looked-up values and the position of the
        # first row holding each (in position order); per chunk, the values met before it.
        self.first_seen: pl.DataFrame | None = None
        self.earlier: dict[str, pl.Series] = {}
        # Initial-load mode: the e-mails and INNs met in more than one row of the run, and the customer
        # holding each of them once stored (read from the table once, then kept as chunks create them).
        self.repeated: dict[str, pl.Series] = {}
        self.held: dict[str, dict[str, int]] | None = None
        # A first load begun by this applier: its customers' names and keys, and their phones, as stored
        # (the duplicate search at its end reads them from here instead of the tables).
        self.loaded: dict[str, list[pl.DataFrame]] | None = None

    def start_initial_load(self, usable: pl.DataFrame, *, from_start: bool) -> None:
        """Look up only values an earlier chunk may have written: the run began on empty tables.

        `usable` is every row of the run that reaches the applier (POSITION + fields). A value first
        met in the chunk at hand cannot be stored yet, so most look-ups of a first load (every new
        customer's key, account number, e-mail and INN) are skipped; a resumed run finds the values of
        its committed chunks the usual way. A run applied `from_start` by this applier keeps what its
        duplicate search needs as it writes; a resumed one reads it from the tables at its end.
        """
        self.loaded = {"customers": [], "phones": []} if from_start else None
        columns = [c for c in _LOOKED_UP if c in usable.columns]
        first = [
            pl.when(pl.col(c) != "").then(pl.col(POSITION).min().over(c)).alias(f"{_FIRST}{c}")
            for c in columns
        ]
        self.first_seen = usable.select(pl.col(POSITION).cast(pl.Int64), *columns, *first).sort(POSITION)
        self.repeated = {
            c: usable.filter(pl.col(c) != "").filter(pl.col(c).is_duplicated())[c].unique()
            for c in _HELD
            if c in usable.columns
        }

    def _note_earlier(self, frame: pl.DataFrame) -> None:
        """Keep, per looked-up column, the chunk's values first met in an earlier chunk (a short list)."""
        if self.first_seen is None:
            return
        low, high = int(frame[POSITION].min()), int(frame[POSITION].max())  # type: ignore[arg-type]
        positions = self.first_seen[POSITION]
        start = int(positions.search_sorted(low, side="left"))
        rows = self.first_seen.slice(start, int(positions.search_sorted(high, side="right")) - start)
        self.earlier = {
            c: rows.filter(pl.col(f"{_FIRST}{c}") < low)[c].unique()
            for c in _LOOKED_UP
            if c in self.first_seen.columns
        }

    def _stored(self, column: str, values: pl.Series) -> pl.Series:
        """Return the values that may be in the database already (all of them outside the initial load)."""
        if self.first_seen is None or column not in self.earlier:
            return values
        return values.filter(values.is_in(self.earlier[column].implode()))

    # --- the chunk ------------------------------------------------------------------------------------
    def apply(self, rows: list[tuple[int, dict[str, str]]]) -> ChunkResult:
        """Apply usable rows given as (position, cleaned values) pairs (a corrected quarantined row)."""
        frame = pl.DataFrame([{POSITION: position, **values} for position, values in rows])
        return self.apply_frame(frame.with_columns(pl.col(POSITION).cast(pl.Int64)))

    def with_keys(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Add the content hashes and blocking keys to a frame of usable rows (pure: any thread, ahead)."""
        return with_customer_keys(frame)

    def apply_frame(self, frame: pl.DataFrame) -> ChunkResult:
        """Apply a frame of usable rows (POSITION + cleaned fields, in file order, keyed or not yet)."""
        now = now_literal()
        self._note_earlier(frame)
        if CUSTOMER_HASH not in frame.columns:
            frame = self.with_keys(frame)
        frame = frame.with_columns(pl.lit(None, pl.String).alias(_REASON))
        if self.with_accounts:
            frame = self._refuse_foreign_accounts(frame)
        frame, created = self._customers(frame, now)
        if self.with_accounts:
            frame = self._accounts(frame, now)
        self._queue_duplicates(created)
        return _result(frame)

    def _refuse_foreign_accounts(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Quarantine rows whose account number exists here but was not created from this source."""
        stored = self._stored("account_number", frame["account_number"])
        records = load_records_frame(self.source_id, "account", stored)
        unknown = stored.filter(~stored.is_in(records["key"].implode()))
        table = connection.ops.quote_name(Account._meta.db_table)
        sql = f"SELECT number FROM {table} WHERE number {{in_list}}"  # noqa: S608 - our table
        taken = [number for (number,) in select_in(sql, unknown)]
        if not taken:
            return frame
        refused = pl.col("account_number").is_in(pl.Series(taken, dtype=pl.String).implode())
        return frame.with_columns(
            pl.when(refused)
            .then(pl.lit("account_exists_elsewhere"))
            .otherwise(pl.col(_REASON))
            .alias(_REASON)
        )

    # --- customers -----------------------------------------------------------------------------------
    def _customers(self, frame: pl.DataFrame, now: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Create, update or keep each row's customer; return the frame with its id and the created ones."""
        live = frame.filter(pl.col(_REASON).is_null())
        firsts = live.group_by("external_id", maintain_order=True).first()  # one customer per key
        records = load_records_frame(
            self.source_id, "customer", self._stored("external_id", firsts["external_id"])
        )
        firsts = firsts.join(records, left_on="external_id", right_on="key", how="left")
        existing = pl.col("target_id").is_not_null()
        changed = firsts.filter(existing & (pl.col("row_hash") != pl.col(CUSTOMER_HASH)))
        created = self._refuse_exact_duplicates(firsts.filter(~existing))
        refused = created.filter(pl.col(_REASON).is_not_null())
        created = created.filter(pl.col(_REASON).is_null())
        created = created.with_columns(pl.Series(_ID, allocate_ids(Customer, created.height), dtype=pl.Int64))
        stored = _customer_frame(created, now)
        insert_frame(table_spec(Customer, _CUSTOMER_COLUMNS), stored)
        contacts = _insert_contacts(created)
        self._hold(created)
        if self.loaded is not None:
            self.loaded["customers"].append(stored.select(CUSTOMER_KEYS))
            phones = contacts.filter(pl.col("kind") == Contact.Kind.PHONE.value)
            self.loaded["phones"].append(
                phones.select(pl.col("customer_id").alias("id"), pl.col("value").alias("key"))
            )
        _update_customers(changed, now)
        keys = pl.col("external_id").alias("key")
        records_now = pl.concat(
            [
                created.select(keys, pl.col(CUSTOMER_HASH).alias("row_hash"), pl.col(_ID).alias("target_id")),
                changed.select(keys, pl.col(CUSTOMER_HASH).alias("row_hash"), pl.col("target_id")),
            ]
        )
        save_records_frame(self.source_id, "customer", records_now, self.run_id, known=records)
        by_key = _customer_outcomes(created, firsts.filter(existing), refused)
        frame = frame.join(by_key, on="external_id", how="left").with_columns(
            pl.coalesce(_REASON, "__dup__").alias(_REASON)
        )
        return frame.drop("__dup__").sort(POSITION), created

    def _refuse_exact_duplicates(self, created: pl.DataFrame) -> pl.DataFrame:
        """Refuse a new customer whose e-mail or INN another customer already has (here or earlier)."""
        for column in _HELD:
            created = _refuse_by(created, column, self._taken(column, created[column]))
        return created

    def _taken(self, column: str, values: pl.Series) -> list[tuple[Any, ...]]:
        """Return (value, customer id) of the values a stored customer holds.

        A first load answers from memory, so the e-mail and INN indexes can wait for its end too.
        """
        if self.first_seen is None:
            return _TAKEN[column](values)
        if self.held is None:
            self.held = {c: _held_in_table(c, self.repeated.get(c)) for c in _HELD}
        held = self.held[column]
        return [(value, held[value]) for value in self._stored(column, values).to_list() if value in held]

    def _hold(self, created: pl.DataFrame) -> None:
        """Remember who holds the repeated e-mails and INNs of the customers just stored (a first load)."""
        if self.held is None:
            return
        for column, held in self.held.items():
            if column in self.repeated:
                mine = created.filter(pl.col(column).is_in(self.repeated[column].implode()))
                held.update(zip(mine[column].to_list(), mine[_ID].to_list(), strict=True))

    # --- duplicates ----------------------------------------------------------------------------------
    def _queue_duplicates(self, created: pl.DataFrame) -> None:
        """Queue likely duplicates of the new customers: a shared blocking key or phone, rapidfuzz-scored."""
        if created.is_empty() or self.first_seen is not None:  # a first load queues them at its end
            return
        names = dict(zip(created[_ID].to_list(), _full_names(created).to_list(), strict=True))
        low, high = int(created[_ID].min()), int(created[_ID].max())  # type: ignore[arg-type]
        self._queue_pairs(low, high, names, mine=set(names))

    def finish_initial_load(self) -> None:
        """Queue the likely duplicates of every customer of a first load, in one pass over the whole table.

        The blocking keys' indexes are among those a first load defers, so the duplicate search waits
        for its end instead of keeping them up row by row; it then reads the keys once and pairs them in
        memory (`appliers.pairs`).
        """
        kept: dict[str, pl.DataFrame | None] = {}
        if self.loaded is not None:
            kept["customers"] = pl.concat(self.loaded["customers"]) if self.loaded["customers"] else None
            kept["phones"] = pl.concat(self.loaded["phones"]) if self.loaded["phones"] else None
        queue_all_duplicates(source=f"import:{self.run_id}", **kept)

    def _queue_pairs(self, low: int, high: int, names: dict[int, str], mine: set[int] | None) -> None:
        """Score and queue the blocked pairs of the new customers with ids low..high (all, or `mine`)."""
        pairs = _blocked_pairs(low, high)
        if mine is not None:
            pairs = {pair: shared for pair, shared in pairs.items() if pair[0] in mine}
        if not pairs:
            return
        names = dict(names)
        names.update(_stored_full_names({pk for pair in pairs for pk in pair} - names.keys()))
        candidates = []
        for (customer_id, other_id), shared in pairs.items():
            score = fuzz.token_sort_ratio(names[customer_id], names.get(other_id, "")) * 0.7
            score += 20 * bool(shared & {"name", "block"}) + 15 * ("phone" in shared)
            if score >= LIKELY_SCORE:
                candidates.append(
                    DuplicateCandidate(
                        customer_id=customer_id,
                        duplicate_of_id=other_id,
                        score=min(100, round(score)),
                        reasons=sorted(shared),
                        source=f"import:{self.run_id}",
                    )
                )
        DuplicateCandidate.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=2000)

    # --- accounts -------------------------------------------------------------------------------------
    def _accounts(self, frame: pl.DataFrame, now: Any) -> pl.DataFrame:
        live = frame.filter(pl.col(_REASON).is_null())
        records = load_records_frame(
            self.source_id, "account", self._stored("account_number", live["account_number"])
        )
        live = live.join(records, left_on="account_number", right_on="key", how="left")
        new = live.filter(pl.col("target_id").is_null())
        changed = live.filter(
            pl.col("target_id").is_not_null() & (pl.col("row_hash") != pl.col(ACCOUNT_HASH))
        )
        touched = pl.concat([new, changed])
        self._ensure_buildings(touched)
        touched = touched.with_columns(
            pl.Series("__premises__", allocate_ids(Premises, touched.height), dtype=pl.Int64),
            pl.Series(
                "__account__", [*allocate_ids(Account, new.height), *changed["target_id"]], dtype=pl.Int64
            ),
        )
        insert_frame(table_spec(Premises, _PREMISES_COLUMNS), self._premises_frame(touched))
        added = touched.head(new.height)
        insert_frame(table_spec(Account, _ACCOUNT_COLUMNS), self._account_frame(added, now))
        self._update_accounts(touched.slice(new.height), now)
        save_records_frame(
            self.source_id,
            "account",
            touched.select(
                pl.col("account_number").alias("key"),
                pl.col(ACCOUNT_HASH).alias("row_hash"),
                pl.col("__account__").alias("target_id"),
            ),
            self.run_id,
            known=records,
        )
        outcome = (
            pl.when(pl.col("target_id").is_null())
            .then(pl.lit("A"))
            .when(pl.col("row_hash") != pl.col(ACCOUNT_HASH))
            .then(pl.when(pl.col(_OUTCOME) == "A").then(pl.lit("A")).otherwise(pl.lit("U")))
            .otherwise(pl.col(_OUTCOME))
        )
        outcomes = live.select(POSITION, outcome.alias("__account_outcome__"))
        frame = frame.join(outcomes, on=POSITION, how="left")
        return frame.with_columns(pl.coalesce("__account_outcome__", _OUTCOME).alias(_OUTCOME)).drop(
            "__account_outcome__"
        )

    def _premises_frame(self, touched: pl.DataFrame) -> pl.DataFrame:
        return table_frame(
            touched,
            _PREMISES_COLUMNS,
            [
                pl.col("__premises__"),
                _building_key().replace_strict(self.buildings, return_dtype=pl.Int64),
                pl.when(pl.col("flat") != "")
                .then(pl.lit(Premises.Kind.FLAT.value))
                .otherwise(pl.lit(Premises.Kind.HOUSE.value)),
                pl.col("flat").str.slice(0, 20),
                pl.when(pl.col("area") != "").then(pl.col("area")).otherwise(pl.lit("0")),
                pl.lit(0),
            ],
        )

    def _account_frame(self, added: pl.DataFrame, now: Any) -> pl.DataFrame:
        return table_frame(
            added,
            _ACCOUNT_COLUMNS,
            [
                pl.col("__account__"),
                pl.col("account_number"),
                pl.lit(self.branch_id),
                pl.col(_ID),
                pl.col("__premises__"),
                pl.lit(Account.Status.ACTIVE.value),
                self._opened_on(),
                pl.lit(now).alias("created_at"),
                pl.lit(now).alias("updated_at"),
            ],
        )

    def _opened_on(self) -> pl.Expr:
        return (
            pl.when(pl.col("opened_on") != "")
            .then(pl.col("opened_on"))
            .otherwise(pl.lit(self.today.isoformat()))
        )

    def _update_accounts(self, changed: pl.DataFrame, now: Any) -> None:
        rows = changed.select(
            pl.col(_ID),
            pl.col("__premises__"),
            self._opened_on(),
            pl.lit(now).alias("now"),
            pl.col("__account__"),
        ).rows()
        update_rows(
            Account._meta.db_table, ("customer_id", "premises_id", "opened_on", "updated_at"), ("id",), rows
        )

    def _ensure_buildings(self, rows: pl.DataFrame) -> None:
        """Find or create the buildings of the rows' addresses (cached for the run)."""
        wanted = rows.with_columns(_building_key().alias("__building__")).unique("__building__", keep="first")
        missing = wanted.filter(~pl.col("__building__").is_in(list(self.buildings)))
        if missing.is_empty():
            return
        for b in Building.objects.filter(
            district__branch_id=self.branch_id,
            street__in=set(missing["street"]),
            house__in=set(missing["house"]),
        ).values("pk", "district__settlement", "street", "house"):
            key = "\x1f".join((b["district__settlement"].lower(), b["street"].lower(), b["house"].lower()))
            self.buildings[key] = b["pk"]
        missing = missing.filter(~pl.col("__building__").is_in(list(self.buildings)))
        if missing.is_empty():
            return
        districts = [self._district(s or "—") for s in missing["settlement"].to_list()]
        missing = missing.with_columns(
            pl.Series("__id__", allocate_ids(Building, missing.height), dtype=pl.Int64),
            pl.Series("__district__", districts, dtype=pl.Int64),
        )
        buildings = table_frame(
            missing,
            _BUILDING_COLUMNS,
            [
                pl.col("__id__"),
                pl.col("__district__"),
                pl.when(pl.col("flat") != "")
                .then(pl.lit(Building.Kind.APARTMENT.value))
                .otherwise(pl.lit(Building.Kind.HOUSE.value)),
                pl.when(pl.col("postal_code") != "")
                .then(pl.col("postal_code"))
                .otherwise(pl.lit("000000"))
                .str.slice(0, 6),
                pl.col("street").str.slice(0, 200),
                pl.col("house").str.slice(0, 20),
            ],
        )
        insert_frame(table_spec(Building, _BUILDING_COLUMNS), buildings)
        pairs = zip(missing["__building__"].to_list(), missing["__id__"].to_list(), strict=True)
        self.buildings.update(pairs)

    def _district(self, settlement: str) -> int:
        if settlement not in self.districts:
            district, _created = District.objects.get_or_create(
                branch_id=self.branch_id, settlement=settlement[:200], name=settlement[:200]
            )
            self.districts[settlement] = district.pk
        return self.districts[settlement]


# --- helpers ------------------------------------------------------------------------------------------
def _result(frame: pl.DataFrame) -> ChunkResult:
    result = ChunkResult()
    refused = frame.filter(pl.col(_REASON).is_not_null())
    result.quarantine = {
        p: [r] for p, r in zip(refused[POSITION].to_list(), refused[_REASON].to_list(), strict=True)
    }
    applied = frame.filter(pl.col(_REASON).is_null())
    result.outcomes = dict(zip(applied[POSITION].to_list(), applied[_OUTCOME].to_list(), strict=True))
    return result


def _customer_outcomes(created: pl.DataFrame, known: pl.DataFrame, refused: pl.DataFrame) -> pl.DataFrame:
    """Return external_id → customer id, outcome letter and refusal of each customer key of the chunk."""
    changed = pl.col("row_hash") != pl.col(CUSTOMER_HASH)
    no_refusal = pl.lit(None, pl.String).alias("__dup__")
    return pl.concat(
        [
            created.select("external_id", pl.col(_ID), pl.lit("A").alias(_OUTCOME), no_refusal),
            known.select(
                "external_id",
                pl.col("target_id").alias(_ID),
                pl.when(changed).then(pl.lit("U")).otherwise(pl.lit("N")).alias(_OUTCOME),
                no_refusal,
            ),
            refused.select(
                "external_id",
                pl.lit(None, pl.Int64).alias(_ID),
                pl.lit("N").alias(_OUTCOME),
                pl.col(_REASON).alias("__dup__"),
            ),
        ]
    )


def _merged_ids() -> str:
    """Return the SQL of the ids merged into another customer (and not un-merged): not duplicates."""
    return f"SELECT merged_id FROM {CustomerMerge._meta.db_table} WHERE undone_at IS NULL"  # noqa: S608


def _taken_emails(emails: pl.Series) -> list[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    return select_in(
        f"SELECT value, customer_id FROM {quote(Contact._meta.db_table)} WHERE value {{in_list}}"  # noqa: S608
        f" AND kind = %s AND customer_id NOT IN ({_merged_ids()})",
        emails,
        [Contact.Kind.EMAIL.value],
    )


def _taken_inns(inns: pl.Series) -> list[tuple[Any, ...]]:
    customers = connection.ops.quote_name(Customer._meta.db_table)
    return select_in(
        f"SELECT inn, id FROM {customers} WHERE inn {{in_list}} AND id NOT IN ({_merged_ids()})",  # noqa: S608
        inns,
    )


_TAKEN = {"email": _taken_emails, "inn": _taken_inns}


def _held_in_table(column: str, wanted: pl.Series | None) -> dict[str, int]:
    """Return value → customer of the wanted e-mails or INNs already stored, in one pass over the table.

    A first load starts on empty tables, so this finds something only when a run resumes; the table
    is read whole because its index on the value is one of those the load defers.
    """
    if wanted is None or wanted.is_empty():
        return {}
    quote = connection.ops.quote_name
    if column == "email":
        sql = (
            f"SELECT value, customer_id FROM {quote(Contact._meta.db_table)} WHERE kind = %s"  # noqa: S608
            f" AND customer_id NOT IN ({_merged_ids()})"
        )
        params = [Contact.Kind.EMAIL.value]
    else:
        sql = (
            f"SELECT inn, id FROM {quote(Customer._meta.db_table)} WHERE inn <> ''"  # noqa: S608
            f" AND id NOT IN ({_merged_ids()})"
        )
        params = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = rows_frame(cursor.fetchall(), {"value": pl.String, "customer": pl.Int64})
    stored = stored.filter(pl.col("value").is_in(wanted.implode())).unique("value", keep="first")
    return dict(zip(stored["value"].to_list(), stored["customer"].to_list(), strict=True))


def _refuse_by(created: pl.DataFrame, column: str, taken: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Refuse rows whose value is taken in the database, or by an earlier new row not refused itself."""
    stored = rows_frame(taken, {column: pl.String, "__taken__": pl.Int64}).unique(column, keep="first")
    given = (pl.col(column) != "") & pl.col(_REASON).is_null()
    first = pl.col(POSITION).filter(given).min().over(column)
    reason = (
        pl.when(given & pl.col("__taken__").is_not_null())
        .then(pl.format(f"duplicate_customer:{column}:{{}}", pl.col("__taken__")))
        .when(given & (pl.col(POSITION) != first))
        .then(pl.format(f"duplicate_customer:{column}:row {{}}", first + 1))
        .otherwise(pl.col(_REASON))
    )
    joined = created.join(stored, on=column, how="left")
    return joined.with_columns(reason.alias(_REASON)).drop("__taken__")


def _customer_frame(created: pl.DataFrame, now: Any) -> pl.DataFrame:
    legal = pl.col(CUSTOMER_KIND) == Customer.Kind.LEGAL_ENTITY
    person = [
        pl.when(legal).then(pl.lit("")).otherwise(pl.col(n).str.slice(0, 100)).alias(n)
        for n in ("last_name", "first_name", "middle_name")
    ]
    return table_frame(
        created,
        _CUSTOMER_COLUMNS,
        [
            pl.col(_ID),
            pl.col(CUSTOMER_KIND),
            *person,
            pl.when(pl.col("birth_date") != "").then(pl.col("birth_date")).alias("birth_date"),
            pl.col("company_name").str.slice(0, 300),
            pl.col("inn"),
            pl.col("ogrn"),
            pl.lit(""),
            pl.lit(True),
            pl.col("match_name"),
            pl.col("match_block"),
            pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at"),
        ],
    )


def _contact_frame(customers: pl.DataFrame) -> pl.DataFrame:
    """Return (customer_id, kind, value, is_primary, note) of the customers' phones and e-mails."""
    parts = [
        customers.filter(pl.col(field) != "").select(
            pl.col(_ID).alias("customer_id"),
            pl.lit(kind).alias("kind"),
            pl.col(field).alias("value"),
            pl.lit(True).alias("is_primary"),
            pl.lit("").alias("note"),
        )
        for field, kind in (("phone", Contact.Kind.PHONE.value), ("email", Contact.Kind.EMAIL.value))
    ]
    return pl.concat(parts).sort("customer_id", "kind", descending=[False, True])


def _insert_contacts(customers: pl.DataFrame) -> pl.DataFrame:
    """Insert the customers' phones and e-mails; return them as written."""
    contacts = _contact_frame(customers)
    contacts = contacts.select(
        pl.Series("id", allocate_ids(Contact, contacts.height), dtype=pl.Int64), pl.all()
    )
    insert_frame(table_spec(Contact, _CONTACT_COLUMNS), contacts)
    return contacts


def _update_customers(changed: pl.DataFrame, now: Any) -> None:
    """Rewrite changed customers and replace their unconfirmed contacts (confirmed ones stay)."""
    if changed.is_empty():
        return
    changed = changed.with_columns(pl.col("target_id").alias(_ID))
    names = [c for c in _CUSTOMER_COLUMNS if c not in ("id", "created_at", "paper_bill")]
    values = _customer_frame(changed, now)
    update_rows(Customer._meta.db_table, names, ("id",), values.select(*names, "id").rows())
    ids = changed[_ID].to_list()
    Contact.objects.filter(customer_id__in=ids, verified_at__isnull=True).delete()
    kept = rows_frame(
        list(Contact.objects.filter(customer_id__in=ids).values_list("customer_id", "kind", "value")),
        {"customer_id": pl.Int64, "kind": pl.String, "value": pl.String},
    )
    fresh = _contact_frame(changed).join(kept, on=["customer_id", "kind", "value"], how="anti")
    fresh = fresh.select(pl.Series("id", allocate_ids(Contact, fresh.height), dtype=pl.Int64), pl.all())
    insert_frame(table_spec(Contact, _CONTACT_COLUMNS), fresh)


def _blocked_pairs(low: int, high: int) -> dict[tuple[int, int], set[str]]:
    """Return (new customer, older customer) pairs sharing a blocking key or a phone, with the keys shared.

    One statement: each key a self-join through its index, each new customer's matches capped at
    MAX_BLOCK (a key shared by more customers tells nothing).
    """
    quote = connection.ops.quote_name
    customers, contacts = quote(Customer._meta.db_table), quote(Contact._meta.db_table)
    # Table and column names are our own literals; the bounds are parameters.
    branches = [
        f"SELECT n.id AS new_id, o.id AS old_id, '{reason}' AS reason FROM {customers} n"  # noqa: S608
        f" JOIN {customers} o ON o.{column} = n.{column} AND o.id < n.id"
        f" WHERE n.id BETWEEN %s AND %s AND n.{column} <> ''"
        for reason, column in (("name", "match_name"), ("block", "match_block"))
    ]
    branches.append(
        f"SELECT n.customer_id, o.customer_id, 'phone' FROM {contacts} n JOIN {contacts} o"  # noqa: S608
        " ON o.kind = n.kind AND o.value = n.value AND o.customer_id < n.customer_id"
        " WHERE n.kind = %s AND n.customer_id BETWEEN %s AND %s"
    )
    sql = (
        "SELECT new_id, old_id, reason FROM (SELECT new_id, old_id, reason,"  # noqa: S608 - our literals
        " ROW_NUMBER() OVER (PARTITION BY new_id, reason ORDER BY old_id DESC) AS n"
        f" FROM ({' UNION ALL '.join(branches)}) AS pairs) AS capped WHERE n <= {MAX_BLOCK}"
    )
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, high, low, high, Contact.Kind.PHONE.value, low, high])
        for new_id, old_id, reason in cursor.fetchall():
            found[(new_id, old_id)].add(reason)
    return found


def _full_names(frame: pl.DataFrame) -> pl.Series:
    person = pl.concat_str([pl.col(p) for p in ("last_name", "first_name", "middle_name")], separator=" ")
    company = pl.col("company_name")
    return frame.select(pl.when(company != "").then(company).otherwise(person).str.to_lowercase()).to_series()


def _stored_full_names(ids: set[int]) -> dict[int, str]:
    table = connection.ops.quote_name(Customer._meta.db_table)
    rows = select_in(
        f"SELECT id, last_name, first_name, middle_name, company_name FROM {table} WHERE id {{in_list}}",  # noqa: S608
        ids,
    )
    return {pk: (company or f"{last} {first} {middle}").lower() for pk, last, first, middle, company in rows}


def _building_key() -> pl.Expr:
    settlement = pl.when(pl.col("settlement") != "").then(pl.col("settlement")).otherwise(pl.lit("—"))
    return pl.concat_str([settlement, pl.col("street"), pl.col("house")], separator="\x1f").str.to_lowercase()
