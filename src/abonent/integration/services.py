"""Import runs: accept a file, clean it whole, apply it in committed chunks with a cursor, report, alert.

Resumable by construction. Reading and cleaning are deterministic, so a restarted run cleans the same
file to the same rows; each chunk is applied in one transaction that also writes the chunk's outcomes
and moves the run's cursor, so after a kill -9 the run goes on from the first chunk not committed and
ends in the same state as an uninterrupted run. Re-running a whole file changes nothing: every row's
content hash equals what the source sent last time (SourceRecord), so every row ends "unchanged".
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from abonent.core.audit import record_audit_event
from abonent.core.bulk import table_spec
from abonent.core.models import AuditEvent
from abonent.integration.appliers.base import ChunkResult
from abonent.integration.appliers.customers import POSITION, CustomerAccountApplier
from abonent.integration.appliers.frames import insert_frame
from abonent.integration.appliers.rows import ROW_APPLIERS
from abonent.integration.cleaning import (
    DUPLICATE_OF,
    RAW,
    REASONS,
    Cleaned,
    clean,
    map_columns,
)
from abonent.integration.errors import RowNotQuarantined, RunNotResumable, UnsupportedKind
from abonent.integration.fields import KIND_KEYS, FileKind, fields_for, known_column_names
from abonent.integration.initial_load import (
    analyze_loaded_tables,
    check_loaded_foreign_keys,
    claim_initial_load,
    defer_indexes,
    foreign_keys_unchecked,
    rebuild_indexes,
)
from abonent.integration.models import ImportChunk, ImportProfile, ImportRun, QuarantinedRow
from abonent.integration.reading import ROW_INDEX, Table, read_file

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
SAMPLES = 5
# A run whose quarantine exceeds this share of its rows is "suspicious": the admins are told.
SUSPICIOUS_SHARE = 0.05
_OUTCOME_FIELD = {"A": "applied", "U": "updated", "N": "unchanged", "Q": "quarantined"}
_SUPPORTED = {FileKind.CUSTOMERS, FileKind.ACCOUNTS, *ROW_APPLIERS}


def imports_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


# --- starting a run ---------------------------------------------------------------------------------
def start_import(
    *,
    profile: ImportProfile,
    path: Path,
    channel: str,
    created_by: Any = None,
    original_name: str = "",
    enqueue: bool = True,
    initial_load: bool = False,
) -> ImportRun:
    """Keep a copy of the file, create its run and queue it (after commit) for the worker.

    `enqueue=False` leaves the run to the caller (the command line runs it in its own process).
    `initial_load=True` asks for the initial-load mode (see `integration.initial_load`): taken only if
    the customers and accounts tables are still empty when the run starts.
    """
    if profile.kind not in _SUPPORTED:
        raise UnsupportedKind()
    digest = _sha256(path)
    stored = imports_dir() / f"{digest[:2]}/{digest}{path.suffix.lower()}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    if not stored.exists():
        shutil.copyfile(path, stored)
    run = ImportRun.objects.create(
        profile=profile,
        kind=profile.kind,
        channel=channel,
        file_path=str(stored),
        file_name=(original_name or path.name)[:255],
        file_sha256=digest,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        initial_load=initial_load and profile.kind in (FileKind.CUSTOMERS, FileKind.ACCOUNTS),
    )
    if enqueue:
        from abonent.integration.tasks import run_import_task

        transaction.on_commit(lambda: run_import_task.enqueue(run.pk))
    return run


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- running it -------------------------------------------------------------------------------------
def prepare(run: ImportRun) -> tuple[Table, Cleaned]:
    """Read and clean the run's file (the same result every time for the same file and day)."""
    profile = run.profile
    table = read_file(
        Path(run.file_path),
        known_columns=known_column_names(run.kind),
        encoding=profile.encoding,
        delimiter=profile.delimiter,
    )
    mapped = map_columns(table, kind=run.kind, mapping=profile.mapping or {})
    return table, clean(mapped, kind=run.kind, today=timezone.localdate(run.created_at))


def run_import(
    *, run_id: int, chunk_rows: int = CHUNK_ROWS, on_chunk: Callable[[ImportRun], None] | None = None
) -> ImportRun:
    """Run (or resume) the import to its end and return the finished run."""
    run = ImportRun.objects.select_related("profile__source").get(pk=run_id)
    if run.done:
        raise RunNotResumable()
    started = time.monotonic()
    try:
        table, cleaned = prepare(run)
    except Exception as exc:
        _fail(run, exc)
        raise
    frame = cleaned.frame
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING,
        started_at=run.started_at or timezone.now(),
        heartbeat_at=timezone.now(),
        total_rows=frame.height,
        encoding=table.encoding,
        delimiter=table.delimiter,
        rules=dict(cleaned.counters),
    )
    run.refresh_from_db()
    applier = _applier(run)
    if claim_initial_load(run):
        defer_indexes(run)
        if hasattr(applier, "start_initial_load"):
            applier.start_initial_load(_usable(frame.with_row_index(POSITION)), from_start=run.cursor == 0)
    preparation = time.monotonic() - started
    ImportRun.objects.filter(pk=run.pk, cursor=0).update(seconds=F("seconds") + preparation)
    names = [spec.name for spec in fields_for(run.kind)] + (
        ["customer_kind"] if "customer_kind" in frame.columns else []
    )
    # The next chunk's rows are made ready (and keyed, by an applier that can) in a second thread while
    # the database writes this one: the driver and polars let go of the GIL, so the two cores share it.
    with _large_cache(), foreign_keys_unchecked(run), ThreadPoolExecutor(1) as ahead:
        upcoming = ahead.submit(_ready_chunk, frame, run.cursor, chunk_rows, applier, names)
        while run.cursor < frame.height:
            chunk_started = time.monotonic()
            try:
                chunk, usable = upcoming.result()
                if run.cursor + chunk.height < frame.height:
                    upcoming = ahead.submit(
                        _ready_chunk, frame, run.cursor + chunk.height, chunk_rows, applier, names
                    )
                _apply_chunk(run, chunk, usable, cleaned, table, applier, chunk_started, names)
            except Exception as exc:
                _fail(run, exc)
                raise
            run.refresh_from_db()
            if on_chunk is not None:
                on_chunk(run)
    return _finish(run, applier)


def _ready_chunk(
    frame: pl.DataFrame, start: int, rows: int, applier: Any, names: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the chunk from `start` with its rows' positions, and its usable rows as the applier takes them.

    Runs in another thread: nothing here touches the database.
    """
    chunk = frame.slice(start, rows)
    chunk = chunk.with_columns(pl.int_range(start, start + chunk.height, dtype=pl.Int64).alias(POSITION))
    usable = _usable(chunk).select(POSITION, *names)
    if hasattr(applier, "with_keys") and not usable.is_empty():
        usable = applier.with_keys(usable)
    return chunk, usable


IMPORT_CACHE_KIB = 512 * 1024


@contextmanager
def _large_cache() -> Iterator[None]:
    """Give SQLite a large page cache and memory-mapped reads while a run writes (restored after).

    A million-row import updates four indexes in random key order; with the default 64 MB cache
    most of those pages are read back from the OS on every insert.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {IMPORT_CACHE_KIB * 2048}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            cursor.execute("PRAGMA mmap_size = 0")


def _applier(run: ImportRun) -> Any:
    source = run.profile.source
    if run.kind in (FileKind.CUSTOMERS, FileKind.ACCOUNTS):
        if source.branch_id is None and run.kind == FileKind.ACCOUNTS:
            raise UnsupportedKind(gettext("The source system needs a branch for the accounts it creates."))
        return CustomerAccountApplier(
            source_id=source.pk,
            branch_id=source.branch_id or 0,
            kind=run.kind,
            run_id=run.pk,
            today=timezone.localdate(run.created_at),
        )
    if run.kind in ROW_APPLIERS:
        return ROW_APPLIERS[run.kind](
            source_id=source.pk, source_code=source.code, kind=run.kind, run_id=run.pk
        )
    raise UnsupportedKind()


def _apply_chunk(
    run: ImportRun,
    chunk: pl.DataFrame,
    usable: pl.DataFrame,
    cleaned: Cleaned,
    table: Table,
    applier: Any,
    started: float,
    names: list[str],
) -> None:
    """Apply a chunk (from `_ready_chunk`); commit it, its outcomes and the moved cursor, all or nothing."""
    positions = range(run.cursor, run.cursor + chunk.height)
    reasons = chunk[REASONS].to_list()
    duplicates = chunk[DUPLICATE_OF].to_list()
    with transaction.atomic():
        claimed = ImportRun.objects.filter(pk=run.pk, cursor=run.cursor).update(heartbeat_at=timezone.now())
        if not claimed:  # another worker moved the cursor: it owns the run now
            raise RunNotResumable()
        _relax_durability()
        result = _apply_usable(applier, usable)
        outcomes, quarantine = _outcomes(positions, reasons, duplicates, result)
        _write_quarantine(run, chunk, quarantine, cleaned, table, names)
        ImportChunk.objects.create(run=run, first_row=run.cursor, outcomes="".join(outcomes))
        counts = Counter(outcomes)
        ImportRun.objects.filter(pk=run.pk).update(
            cursor=F("cursor") + chunk.height,
            seconds=F("seconds") + (time.monotonic() - started),
            heartbeat_at=timezone.now(),
            samples=_samples(run, chunk, "".join(outcomes), names),
            **{_OUTCOME_FIELD[letter]: F(_OUTCOME_FIELD[letter]) + n for letter, n in counts.items()},
        )


def _usable(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the rows the applier gets: no reason to refuse them, no earlier row they repeat."""
    return frame.filter((pl.col(REASONS).list.len() == 0) & pl.col(DUPLICATE_OF).is_null())


def _relax_durability() -> None:
    """Let the chunk's commit return before its WAL reaches the disk (PostgreSQL; SQLite's WAL already does).

    Safe for an import: the cursor moves in the same transaction, so a chunk lost in a crash is simply
    applied again from the kept file on resume.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _apply_usable(applier: Any, usable: pl.DataFrame) -> ChunkResult:
    """Hand the usable rows to the applier: as a frame when it works set-wise, else as (position, values)."""
    if usable.is_empty():
        return ChunkResult()
    if hasattr(applier, "apply_frame"):
        return applier.apply_frame(usable)
    rows = [(row.pop(POSITION), row) for row in usable.to_dicts()]
    return applier.apply(rows)


def _outcomes(
    positions: range, reasons: list[list[str]], duplicates: list[int | None], result: ChunkResult
) -> tuple[list[str], dict[int, list[str]]]:
    outcomes, quarantine = [], {}
    for i, position in enumerate(positions):
        if reasons[i]:
            outcomes.append("Q")
            quarantine[position] = list(reasons[i])
        elif duplicates[i] is not None:
            outcomes.append("N")
        elif position in result.quarantine:
            outcomes.append("Q")
            quarantine[position] = result.quarantine[position]
        else:
            outcomes.append(result.outcomes.get(position, "N"))
    return outcomes, quarantine


def _write_quarantine(
    run: ImportRun,
    chunk: pl.DataFrame,
    quarantine: dict[int, list[str]],
    cleaned: Cleaned,
    table: Table,
    names: list[str],
) -> None:
    if not quarantine:
        return
    refused = chunk.filter(pl.col(POSITION).is_in(list(quarantine)))
    header = table.header
    keys = KIND_KEYS[run.kind]
    rows = []
    for data, raw_line, position in zip(
        refused.select(names).to_dicts(), refused[RAW].to_list(), refused[POSITION].to_list(), strict=True
    ):
        key = "/".join(str(data.get(k, "")) for k in keys)
        diff = cleaned.diffs.get(key) or cleaned.diffs.get(str(data.get("external_id", ""))) or {}
        raw = dict(zip(header, (raw_line or "").split("\x1f"), strict=False))
        documents = (raw, data, quarantine[position], diff)
        rows.append((run.pk, position, key[:200], *map(_json, documents), QuarantinedRow.Status.OPEN.value))
    # Plain rows into COPY/executemany: bulk_create's one INSERT with thousands of placeholders
    # costs psycopg more to parse than the database to write.
    columns = ("run_id", "row", "key", "raw", "data", "reasons", "diff", "status")
    insert_frame(table_spec(QuarantinedRow, columns), pl.DataFrame(rows, schema=columns, orient="row"))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _samples(
    run: ImportRun, chunk: pl.DataFrame, outcomes: str, names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Keep the first few rows of each outcome for the report (already-kept samples stay)."""
    samples = {k: list(v) for k, v in (run.samples or {}).items()}
    for letter, field_name in _OUTCOME_FIELD.items():
        indices = _first_indices(outcomes, letter, SAMPLES - len(samples.get(field_name, [])))
        if indices:
            rows = chunk[indices].select(POSITION, *names[:8]).to_dicts()
            samples.setdefault(field_name, []).extend({"row": r.pop(POSITION) + 1, **r} for r in rows)
    return samples


def _first_indices(text: str, letter: str, count: int) -> list[int]:
    found: list[int] = []
    index = text.find(letter)
    while index >= 0 and len(found) < count:
        found.append(index)
        index = text.find(letter, index + 1)
    return found


def _finish(run: ImportRun, applier: Any) -> ImportRun:
    share = run.quarantined / run.total_rows if run.total_rows else 0.0
    status = ImportRun.Status.SUSPICIOUS if share > SUSPICIOUS_SHARE else ImportRun.Status.FINISHED
    try:
        rebuild_indexes(run)
        if run.initial_load:
            check_loaded_foreign_keys()
    except Exception as exc:  # a load that broke a key (never expected: its rows are built consistent)
        _fail(run, exc)
        raise
    if run.initial_load:
        analyze_loaded_tables()
    if run.initial_load and hasattr(applier, "finish_initial_load"):
        with transaction.atomic():  # repeated whole by a run resumed after a crash here: pairs are unique
            applier.finish_initial_load()
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(status=status, finished_at=timezone.now())
        run.refresh_from_db()
        if status == ImportRun.Status.SUSPICIOUS:
            alert_admins(run)
    return run


def _fail(run: ImportRun, exc: Exception) -> None:
    logger.exception("import run %s failed", run.pk)
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    _rebuild_after_failure(run)
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, error=str(message)[:2000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        alert_admins(run)


def _rebuild_after_failure(run: ImportRun) -> None:
    """Build a failed initial-load run's deferred indexes: a failed run is never resumed."""
    try:
        rebuild_indexes(run)
    except Exception:  # the run's own error is the one to report; the record stays for a retry
        logger.exception("import run %s: deferred indexes not rebuilt", run.pk)


# --- alerts -----------------------------------------------------------------------------------------
def integration_admins() -> list[Any]:
    """Return the active staff who administer integration (the permission, or superusers)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    granted = Q(is_superuser=True) | Q(user_permissions__codename="administer_integration")
    granted |= Q(groups__permissions__codename="administer_integration")
    return list(users.filter(granted).distinct())


def alert_admins(run: ImportRun) -> int:
    """E-mail every integration admin about a failed or suspicious run (once per run and admin)."""
    from abonent.messaging.models import Channel, Topic
    from abonent.messaging.services import queue_message

    subject = gettext("Import needs attention: %(file)s") % {"file": run.file_name}
    body = gettext(
        'The import of %(file)s ended as "%(status)s": %(quarantined)d of %(rows)d rows'
        " in quarantine. %(error)s"
    ) % {
        "file": run.file_name,
        "status": run.get_status_display(),
        "quarantined": run.quarantined,
        "rows": run.total_rows,
        "error": run.error,
    }
    sent = 0
    for admin in integration_admins():
        if admin.email:
            queue_message(
                channel=Channel.EMAIL,
                topic=Topic.SERVICE,
                recipient=admin.email,
                subject=subject,
                body=body,
                idempotency_key=f"import-alert:{run.pk}:{admin.pk}",
                user_id=admin.pk,
            )
            sent += 1
    return sent


# --- quarantine -------------------------------------------------------------------------------------
def fix_quarantined_row(*, row: QuarantinedRow, values: dict[str, str], fixed_by: Any) -> QuarantinedRow:
    """Clean the corrected values with the same rules and apply them; the row leaves quarantine if they pass.

    Returns the row: status "applied", or still "open" with the new reasons.
    """
    if row.status != QuarantinedRow.Status.OPEN:
        raise RowNotQuarantined()
    run = ImportRun.objects.select_related("profile__source").get(pk=row.run_id)
    names = [spec.name for spec in fields_for(run.kind)]
    merged = {name: str(values.get(name, row.data.get(name, "")) or "") for name in names}
    frame = pl.DataFrame(
        {
            ROW_INDEX: [row.row],
            "__extra__": [""],
            **{n: [merged[n]] for n in names},
            RAW: ["\x1f".join(merged.values())],
        },
        schema_overrides={ROW_INDEX: pl.UInt32},
    )
    cleaned = clean(frame, kind=run.kind, today=timezone.localdate())
    reasons = cleaned.frame[REASONS].to_list()[0]
    data = {
        n: cleaned.frame[n].to_list()[0]
        for n in [*names, *(["customer_kind"] if "customer_kind" in cleaned.frame.columns else [])]
    }
    with transaction.atomic():
        if not reasons:
            result = _applier(run).apply([(row.row, data)])
            reasons = result.quarantine.get(row.row, [])
        row.data, row.reasons = data, list(reasons)
        if not reasons:
            row.status, row.resolved_at, row.resolved_by = (
                QuarantinedRow.Status.APPLIED,
                timezone.now(),
                fixed_by,
            )
            ImportRun.objects.filter(pk=run.pk).update(
                quarantined=F("quarantined") - 1, applied=F("applied") + 1
            )
        row.save(update_fields=["data", "reasons", "status", "resolved_at", "resolved_by"])
        record_audit_event(
            actor=fixed_by,
            action=AuditEvent.Action.UPDATE,
            target=row,
            reason="quarantined import row corrected"
            if not reasons
            else "quarantined import row still refused",
            personal_data=True,
        )
    return row


def dismiss_quarantined_row(*, row: QuarantinedRow, dismissed_by: Any) -> None:
    """Leave the row out for good (it stays in the report as dismissed)."""
    updated = QuarantinedRow.objects.filter(pk=row.pk, status=QuarantinedRow.Status.OPEN).update(
        status=QuarantinedRow.Status.DISMISSED, resolved_at=timezone.now(), resolved_by=dismissed_by
    )
    if not updated:
        raise RowNotQuarantined()


def outcome_of(run: ImportRun, row: int) -> str:
    """Return the outcome letter of one row of a run (A, U, N, Q), or "" when not yet processed."""
    chunk = run.chunks.filter(first_row__lte=row).order_by("-first_row").first()
    if chunk is None or row - chunk.first_row >= len(chunk.outcomes):
        return ""
    return chunk.outcomes[row - chunk.first_row]


def today_for(run: ImportRun) -> date:
    return timezone.localdate(run.created_at)
