"""Rows that create, update or leave a record as it is (meters, documents): outcome A, U or N per row.

Unlike the ledger's rows, these records may change in their source: a changed row updates what it
made here. Each row is parsed first (all its reasons at once), then compared by content hash with what
the source sent last time (SourceRecord): equal is "unchanged" without touching anything; otherwise the
row is applied in its own savepoint, so a refused row is quarantined and the chunk goes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction

from abonent.core.errors import DomainError
from abonent.customers.models import Account
from abonent.integration.appliers.base import ChunkResult, load_records, save_records
from abonent.integration.fields import KIND_KEYS

CREATED, UPDATED, UNCHANGED = "A", "U", "N"
_PUNCTUATION = re.compile(r"[^\w]+")


def inverted(groups: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    """Return {name: value} from {value: (the names exports use for it)}."""
    return {name: value for value, names in groups.items() for name in names}


def spoken(text: str) -> str:
    """Return a name as exports are compared: lower case, ё as е, punctuation and spaces as one space."""
    return _PUNCTUATION.sub(" ", text.lower().replace("ё", "е")).strip()


class RowRefused(DomainError):
    """A row that cannot be applied, with every reason code (see integration.reasons)."""

    code = "row_refused"

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Parsed:
    """A row read into what the applier needs, and the content hash that decides "unchanged"."""

    digest: int


RowT = TypeVar("RowT", bound=Parsed)


class UpsertApplier(Generic[RowT]):
    """Parse, compare with the source's last word, then create or update; subclasses say how."""

    record_kind = ""

    def __init__(self, *, source_id: int, source_code: str, kind: str, run_id: int | None) -> None:
        self.source_id, self.source_code, self.kind, self.run_id = source_id, source_code, kind, run_id
        self.accounts: dict[str, Account] = {}

    def apply(self, rows: Sequence[tuple[int, dict[str, str]]]) -> ChunkResult:
        keys = {position: "/".join(v[k] for k in KIND_KEYS[self.kind]) for position, v in rows}
        known = load_records(self.source_id, self.record_kind, keys.values())
        self.prepare([v for _p, v in rows])
        result, records = ChunkResult(), []
        for position, values in rows:
            record = known.get(keys[position])
            try:
                parsed = self.parse(values)
                if record is not None and record[0] == parsed.digest:
                    result.outcomes[position] = UNCHANGED
                    continue
                with transaction.atomic():
                    outcome, target = self.upsert(parsed, record[1] if record else None)
            except RowRefused as refused:
                result.quarantine[position] = refused.reasons
                continue
            except DomainError as error:
                result.quarantine[position] = [error.code]
                continue
            result.outcomes[position] = outcome
            records.append((keys[position], parsed.digest, target))
        save_records(self.source_id, self.record_kind, records, self.run_id, known)
        return result

    def prepare(self, values: list[dict[str, str]]) -> None:
        """Fetch what the chunk's rows refer to, once per chunk."""
        numbers = {v["account_number"] for v in values}
        self.accounts = {
            a.number: a
            for a in Account.objects.filter(number__in=numbers).select_related("branch", "customer")
        }

    def account(self, values: dict[str, str]) -> Account | None:
        return self.accounts.get(values["account_number"])

    def parse(self, values: dict[str, str]) -> RowT:
        """Read the row, raising RowRefused with every reason it cannot be applied."""
        raise NotImplementedError

    def upsert(self, parsed: RowT, target_id: int | None) -> tuple[str, int | None]:
        """Create or update what the row describes; return the outcome letter and the record's id."""
        raise NotImplementedError
