"""Integration figures: import throughput, parse floor, the django-import-export peer, duplicate lookups.

`bench_integration()` (group "integration" of bench/run.py) measures, at BENCH_ACCOUNTS rows/clients
(1,000,000 by default; check at small scale with e.g. BENCH_ACCOUNTS=50000):

- import_1m_sqlite_rows_per_s / import_1m_postgres_rows_per_s: a generated dirty customer+account
  export (every kind of dirt, cp1251) imported into a fresh migrated database by the same
  `run_import` the worker runs — read, clean, diff, write, report — in the initial-load mode a first
  import into empty tables takes (every index but the unique ones built once at the end, foreign keys
  checked once at the end, the duplicate search in one pass in memory); baseline the 50,000 rows/s
  goal. The notes give the importer's CPU seconds and, on PostgreSQL, its backend's (read from /proc:
  robust to a loaded machine);
- import_parse_ratio: our SQLite import time ÷ the time polars takes merely to parse the same file
  (the floor any importer pays); goal ≤ 5;
- import_export_ratio: django-import-export's time per row ÷ ours, on a sample of min(100,000, N/10)
  rows of the same export through a real Resource (the peer a Django team would pick). The Resource
  does less than we do — customers only, no accounts, contacts, duplicate search or quarantine — so the
  ratio flatters the peer; goal ≥ 10;
- dedup_lookup_p95_ms: p95 of `find_duplicates` for 1,000 new clients (half of them spellings of
  existing ones) on a database of N clients; goal ≤ 20 ms.

The Django work runs in subprocesses (`python bench/integration.py <step> ...`) against each database.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ACCOUNTS, ENGINES, WORK, figure, fresh_postgres, fresh_sqlite, manage  # noqa: E402

IMPORT_GOAL = 50_000.0
PARSE_RATIO_GOAL = 5.0
PEER_RATIO_GOAL = 10.0
DEDUP_GOAL_MS = 20.0
LOOKUPS = 1000


def bench_integration() -> dict[str, dict[str, object]]:
    suffix = "1m" if ACCOUNTS == 1_000_000 else f"{ACCOUNTS}"
    export = WORK / f"dirty-export-{ACCOUNTS}.csv"
    WORK.mkdir(parents=True, exist_ok=True)
    if not export.exists():
        _step("generate", str(export), str(ACCOUNTS), database_url=fresh_sqlite("integration-gen.sqlite3"))
    figures: dict[str, dict[str, object]] = {}
    timings = {}
    databases = {
        "sqlite": lambda: fresh_sqlite(f"integration-{ACCOUNTS}.sqlite3"),
        "postgres": lambda: fresh_postgres(f"abonent_bench_integration_{ACCOUNTS}"),
    }
    for engine in ENGINES:
        url = databases[engine]()
        manage("migrate", "--verbosity", "0", database_url=url)
        result = _step("import", str(export), database_url=url)
        timings[engine] = result
        server = f", server CPU {result['server_cpu_s']:.1f} s" if result.get("server_cpu_s") else ""
        print(
            f"import {engine}: {result['rows']:,} rows in {result['seconds']:.1f} s"
            f" = {result['rows_per_s']:,.0f}/s (importer CPU {result['cpu_s']:.1f} s{server},"
            f" load {result['load']})"
        )
        figures[f"import_{suffix}_{engine}_rows_per_s"] = figure(
            result["rows_per_s"],
            "rows/s",
            IMPORT_GOAL,
            f"dirty customer+account export of {result['rows']:,} rows into {engine}"
            " (read, clean, diff, write,"
            f" report); applied {result['applied']:,}, quarantined {result['quarantined']:,};"
            f" {result['seconds']:.1f} s wall, importer process CPU {result['cpu_s']:.1f} s"
            f" ({result['rows'] / result['cpu_s']:,.0f} rows per CPU-second){server}; initial-load mode;"
            f" load average {result['load']} (2 cores); baseline = the goal",
        )
    if "sqlite" not in timings:
        return figures
    parse = _step("parse", str(export), database_url=fresh_sqlite("integration-gen.sqlite3"))
    ratio = timings["sqlite"]["seconds"] / parse["seconds"]
    print(f"parse only (polars): {parse['seconds']:.2f} s; ours ÷ parse = {ratio:.1f}")
    figures["import_parse_ratio"] = figure(
        ratio,
        "×",
        PARSE_RATIO_GOAL,
        f"our SQLite import time ({timings['sqlite']['seconds']:.1f} s) ÷ polars read_csv of the same file"
        f" ({parse['seconds']:.2f} s, load {parse['load']}); goal ≤ 5",
    )
    figures["import_export_ratio"] = _peer_figure(export)
    figures["dedup_lookup_p95_ms"] = _dedup_figure()
    return figures


def _peer_figure(export: Path) -> dict[str, object]:
    sample_rows = min(100_000, max(1000, ACCOUNTS // 10))
    url = fresh_sqlite(f"integration-peer-{sample_rows}.sqlite3")
    manage("migrate", "--verbosity", "0", database_url=url)
    peer = _step("peer", str(export), str(sample_rows), database_url=url)
    url = fresh_sqlite(f"integration-ours-{sample_rows}.sqlite3")
    manage("migrate", "--verbosity", "0", database_url=url)
    ours = _step("import", str(export), str(sample_rows), database_url=url)
    ratio = (peer["seconds"] / peer["rows"]) / (ours["seconds"] / ours["rows"])
    print(
        f"django-import-export: {peer['rows'] / peer['seconds']:,.0f} rows/s"
        f" vs ours {ours['rows_per_s']:,.0f}/s"
    )
    return figure(
        ratio,
        "×",
        PEER_RATIO_GOAL,
        f"django-import-export {peer['rows'] / peer['seconds']:,.0f} rows/s (customers only) vs ours"
        f" {ours['rows_per_s']:,.0f} rows/s (customers + accounts) on {sample_rows:,} rows,"
        f" SQLite; load average {peer['load']} (peer), {ours['load']} (ours); goal ≥ 10",
    )


def _dedup_figure() -> dict[str, object]:
    url = fresh_postgres(f"abonent_bench_dedup_{ACCOUNTS}")
    manage("migrate", "--verbosity", "0", database_url=url)
    _step("clients", str(ACCOUNTS), database_url=url)
    result = _step("lookups", str(ACCOUNTS), database_url=url)
    print(
        f"dedup lookup on {ACCOUNTS:,} clients: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms"
    )
    return figure(
        result["p95_ms"],
        "ms",
        DEDUP_GOAL_MS,
        f"find_duplicates for {LOOKUPS} new clients on {ACCOUNTS:,} (PostgreSQL), {result['found']} found"
        f" as likely duplicates; p50 {result['p50_ms']:.1f} ms; load average {result['load']}; goal ≤ 20 ms",
    )


def _step(*args: str, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "abonent.config.settings"}
    env["ABONENT_VAR_DIR"] = str(WORK / "var")
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the Django side (run as a subprocess) -----------------------------------------------------------------
def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _source():  # type: ignore[no-untyped-def]
    from abonent.demo.reference import create_branches, create_organisation
    from abonent.integration.models import ImportProfile, SourceSystem

    branch = next(iter(create_branches(create_organisation()).values()))
    source = SourceSystem.objects.create(code="bench", name="Bench billing", branch=branch)
    return ImportProfile.objects.create(source=source, name="accounts", kind="accounts")


def step_generate(path: str, rows: str) -> dict:
    from abonent.integration.dirty import write_dirty_export

    write_dirty_export(rows=int(rows), out=Path(path), seed=2026, encoding="cp1251")
    return {"ok": True}


def _head(path: Path, rows: int) -> Path:
    """Return a file with the first `rows` rows of the export (the peer's sample)."""
    sample = path.with_name(f"{path.stem}-head-{rows}.csv")
    if not sample.exists():
        with path.open("rb") as source, sample.open("wb") as out:
            for index, line in enumerate(source):
                if index > rows:
                    break
                out.write(line)
    return sample


def step_import(path: str, rows: str = "") -> dict:
    from django.db import transaction

    from abonent.integration.models import ImportRun
    from abonent.integration.services import run_import, start_import

    file = _head(Path(path), int(rows)) if rows else Path(path)
    profile = _source()
    with transaction.atomic():
        run = start_import(
            profile=profile, path=file, channel=ImportRun.Channel.COMMAND, enqueue=False, initial_load=True
        )
    load_before = os.getloadavg()[0]
    server_started = _server_cpu()
    started, cpu_started = time.monotonic(), time.process_time()
    done = run_import(run_id=run.pk)
    seconds = time.monotonic() - started
    server_cpu = _server_cpu()
    return {
        "rows": done.total_rows,
        "seconds": seconds,
        "rows_per_s": done.total_rows / seconds,
        # This process's CPU (all its threads; a PostgreSQL server's share is not in it) and the load
        # around the run: the machine is shared, so the wall-clock rate alone says little.
        "cpu_s": time.process_time() - cpu_started,
        # PostgreSQL on this machine: the CPU of the backend serving the import (index upkeep, COPY).
        "server_cpu_s": server_cpu - server_started if server_cpu is not None else None,
        "load": f"{load_before:.1f} → {os.getloadavg()[0]:.1f}",
        "applied": done.applied,
        "quarantined": done.quarantined,
    }


def _server_cpu() -> float | None:
    """Return the CPU seconds of this connection's PostgreSQL backend, when the server runs here."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def step_parse(path: str) -> dict:
    import polars as pl

    from abonent.integration.reading import detect_encoding

    load_before = os.getloadavg()[0]
    started = time.monotonic()
    raw = Path(path).read_bytes()
    text = raw.decode(detect_encoding(raw)).encode("utf-8")
    frame = pl.read_csv(text, separator=";", infer_schema=False)
    seconds = time.monotonic() - started
    return {"rows": frame.height, "seconds": seconds, "load": f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"}


def step_peer(path: str, rows: str) -> dict:
    """Import the sample's customers with django-import-export through a real Resource."""
    import tablib
    from import_export import fields, resources, widgets

    from abonent.customers.dedup import match_keys
    from abonent.customers.models import Customer

    class CustomerResource(resources.ModelResource):
        last_name = fields.Field(attribute="last_name", column_name="last_name")
        first_name = fields.Field(attribute="first_name", column_name="first_name")
        middle_name = fields.Field(attribute="middle_name", column_name="middle_name")
        birth_date = fields.Field(
            attribute="birth_date", column_name="birth_date", widget=widgets.DateWidget("%d.%m.%Y")
        )
        inn = fields.Field(attribute="inn", column_name="ИНН")
        match_name = fields.Field(attribute="match_name", column_name="match_name")
        kind = fields.Field(attribute="kind", column_name="kind")

        class Meta:
            model = Customer
            import_id_fields = ("match_name",)
            fields = ("kind", "last_name", "first_name", "middle_name", "birth_date", "inn", "match_name")
            skip_unchanged = True

        def before_import_row(self, row, **kwargs):  # type: ignore[no-untyped-def]
            parts = [*str(row.get("ФИО") or "").split(), "", "", ""][:3]
            row["last_name"], row["first_name"], row["middle_name"] = (p.strip().title() for p in parts)
            row["birth_date"] = row.get("Дата рождения") or None
            row["kind"] = "individual"
            row["match_name"] = match_keys(
                kind="individual",
                last_name=parts[0],
                first_name=parts[1],
                middle_name=parts[2],
                birth_date=None,
                company_name="",
            )[0]

    from abonent.integration.reading import detect_encoding

    raw = _head(Path(path), int(rows)).read_bytes()
    dataset = tablib.Dataset().load(raw.decode(detect_encoding(raw)), format="csv", delimiter=";")
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=False)
    seconds = time.monotonic() - started
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    return {"rows": len(dataset), "seconds": seconds, "errors": len(result.invalid_rows), "load": load}


def step_clients(count: str) -> dict:
    """Write `count` clients with their blocking keys and phones in bulk (the dedup lookup's haystack)."""
    from django.db import transaction
    from django.utils import timezone

    from abonent.core.bulk import analyze_database, insert_rows, table_spec
    from abonent.customers.dedup import match_keys
    from abonent.customers.models import Contact, Customer

    rng = random.Random(7)
    now = timezone.now()
    customer_spec = table_spec(
        Customer,
        (
            "id",
            "kind",
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "company_name",
            "inn",
            "ogrn",
            "kpp",
            "paper_bill",
            "match_name",
            "match_block",
            "created_at",
            "updated_at",
        ),
    )
    contact_spec = table_spec(Contact, ("id", "customer_id", "kind", "value", "is_primary", "note"))
    total = int(count)
    for start in range(1, total + 1, 50_000):
        customers, contacts = [], []
        for pk in range(start, min(total, start + 49_999) + 1):
            last, first, middle, born = _person(rng)
            name_key, block_key = match_keys(
                kind="individual",
                last_name=last,
                first_name=first,
                middle_name=middle,
                birth_date=born,
                company_name="",
            )
            customers.append(
                (
                    pk,
                    "individual",
                    last,
                    first,
                    middle,
                    born,
                    "",
                    "",
                    "",
                    "",
                    True,
                    name_key,
                    block_key,
                    now,
                    now,
                )
            )
            contacts.append((pk, pk, "phone", f"+79{pk:09d}", True, ""))
        with transaction.atomic():
            insert_rows(customer_spec, customers)
            insert_rows(contact_spec, contacts)
    from abonent.core.bulk import reset_sequences

    reset_sequences(Customer, Contact)
    analyze_database()
    return {"clients": total}


_LAST = [
    "Иванов",
    "Петров",
    "Сидоров",
    "Кузнецов",
    "Смирнов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Федоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семенов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
]
_FIRST = [
    "Александр",
    "Сергей",
    "Андрей",
    "Алексей",
    "Дмитрий",
    "Иван",
    "Михаил",
    "Петр",
    "Олег",
    "Артем",
    "Николай",
    "Юрий",
    "Виктор",
    "Евгений",
    "Максим",
    "Владимир",
    "Павел",
    "Роман",
    "Игорь",
    "Денис",
]
_MIDDLE = ["Александрович", "Сергеевич", "Андреевич", "Иванович", "Петрович", "Михайлович", "Николаевич"]


def _person(rng: random.Random) -> tuple[str, str, str, date]:
    born = date(1935, 1, 1) + timedelta(days=rng.randint(0, 365 * 70))
    return rng.choice(_LAST), rng.choice(_FIRST), rng.choice(_MIDDLE), born


def step_lookups(count: str) -> dict:
    from abonent.customers.dedup import CustomerCandidate, find_duplicates
    from abonent.customers.models import Customer

    rng = random.Random(11)
    total = int(count)
    timings, found = [], 0
    for index in range(LOOKUPS):
        if index % 2:  # a spelling of an existing client: a typo in the last name, same birth date
            existing = Customer.objects.values("last_name", "first_name", "middle_name", "birth_date").get(
                pk=rng.randint(1, total)
            )
            last = existing["last_name"][:-1] + "а"
            candidate = CustomerCandidate(
                last_name=last,
                first_name=existing["first_name"],
                middle_name=existing["middle_name"],
                birth_date=existing["birth_date"],
            )
        else:
            last, first, middle, born = _person(rng)
            candidate = CustomerCandidate(
                last_name=last + "ко",
                first_name=first,
                middle_name=middle,
                birth_date=born,
                phones=(f"+78{rng.randint(0, 10**9):09d}",),
            )
        started = time.perf_counter()
        matches = find_duplicates(candidate=candidate)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(matches)
    timings.sort()
    return {
        "load": round(os.getloadavg()[0], 1),
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "found": found,
    }


if __name__ == "__main__":
    _django()
    step, *arguments = sys.argv[1:]
    print(json.dumps(globals()[f"step_{step}"](*arguments), default=str))
