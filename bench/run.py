"""`make bench`: measure the figures the issues name and write bench/results.json.

Each figure is stored with its unit, the baseline it is compared with (a goal, a floor or a peer
measured in the same run) and the ratio value / baseline. Runs against a scratch SQLite file and a
scratch PostgreSQL database, never the working database.

Environment: BENCH_ACCOUNTS (default 1,000,000), BENCH_PG_URL (default the local server),
BENCH_ONLY (comma-separated figure groups to run, e.g. "demo").
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ACCOUNTS,
    DEMO_POSTGRES,
    DEMO_SQLITE,
    ENGINES,
    RESULTS,
    WORK,
    demo_database_url,
    figure,
    fresh_postgres,
    fresh_sqlite,
    manage,
)

DEMO_GOAL_S = 300.0


def bench_demo() -> dict[str, dict[str, object]]:
    """Time `manage.py demo` on each engine; each engine's figure is recorded as soon as it is measured.

    The note carries the load average before and after and the CPU seconds of the command itself
    (with its worker processes; the PostgreSQL server's own CPU is not in it), so a figure taken on a
    busy machine can be read per core. The command's output (the time of each stage) is kept in
    bench/work/demo-<engine>-<accounts>.log.
    """
    import resource

    scale = f"{ACCOUNTS:,} accounts"
    suffix = "1m" if ACCOUNTS == 1_000_000 else f"{ACCOUNTS}"
    for engine, fresh, name in (
        ("sqlite", fresh_sqlite, DEMO_SQLITE),
        ("postgres", fresh_postgres, DEMO_POSTGRES),
    ):
        if engine not in ENGINES:
            continue
        url = fresh(name)
        manage("migrate", "--verbosity", "0", database_url=url)
        load_before = os.getloadavg()[0]
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        output = manage("demo", "--accounts", str(ACCOUNTS), database_url=url).stdout
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / f"demo-{engine}-{ACCOUNTS}.log").write_text(output)
        print(f"demo {engine}: {seconds:.1f} s ({cpu_s:.0f} s CPU) for {scale}", flush=True)
        record(
            {
                f"demo_{suffix}_{engine}_s": figure(
                    seconds,
                    "s",
                    DEMO_GOAL_S,
                    f"manage.py demo --accounts {ACCOUNTS} on {engine}; baseline = the 5-minute goal;"
                    f" the command used {cpu_s:.0f} s of CPU (2 cores); load average"
                    f" {load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
                )
            }
        )
    return {}


def bench_dashboard() -> dict[str, dict[str, object]]:
    """Dashboard latency under 20 concurrent users beside a trivial page of the same server (the floor).

    Measured as deployed (page cache on, Redis) and once more with the page cache off, so the cost of a
    first view after a change is on record too.
    """
    from bench.server import measure_latency, running_server, sign_in

    database_url = demo_database_url("postgres")  # the million-account database bench_demo left
    measured = {}
    for label, extra in (("cached", {}), ("uncached", {"PORTAL_PAGE_CACHE_SECONDS": "0"})):
        with running_server(database_url, extra_env=extra) as base:
            cookie = sign_in(base, "+7 912 000-00-01", "demo-abonent-2026")
            measure_latency(f"{base}/cabinet/", cookie=cookie, concurrency=4, total=200)  # warm-up
            dashboard = measure_latency(f"{base}/cabinet/", cookie=cookie, concurrency=20, total=2000)
            floor = measure_latency(f"{base}/healthz", concurrency=20, total=2000)
        measured[label] = (dashboard, floor)
        print(
            f"dashboard ({label}) p50 {dashboard.p50_ms:.1f} ms, p95 {dashboard.p95_ms:.1f} ms;"
            f" floor p95 {floor.p95_ms:.1f} ms",
            flush=True,
        )
    (dashboard, floor), (uncached, uncached_floor) = measured["cached"], measured["uncached"]
    return {
        "dashboard_p95_ms": figure(
            dashboard.p95_ms,
            "ms",
            100.0,
            f"GET /cabinet/ as the demo owner, 20 concurrent clients, {ACCOUNTS:,} accounts,"
            f" PostgreSQL + Redis, page cache on; p50 {dashboard.p50_ms:.1f} ms; baseline = the 100 ms goal",
        ),
        "dashboard_floor_ratio": figure(
            dashboard.p95_ms / floor.p95_ms,
            "×",
            3.0,
            f"dashboard p95 ÷ p95 of /healthz ({floor.p95_ms:.1f} ms) on the same server"
            " and load; baseline = the goal ratio 3",
        ),
        "dashboard_uncached_p95_ms": figure(
            uncached.p95_ms,
            "ms",
            100.0,
            "the same with PORTAL_PAGE_CACHE_SECONDS=0 (every view rendered, as the first view after a"
            f" change is); p50 {uncached.p50_ms:.1f} ms; floor p95 {uncached_floor.p95_ms:.1f} ms,"
            f" ratio {uncached.p95_ms / uncached_floor.p95_ms:.1f}; baseline = the 100 ms goal",
        ),
    }


def bench_readings() -> dict[str, dict[str, object]]:
    """Readings through the service and the HTTP API on the million-account PostgreSQL demo.

    On the SQLite demo instead when BENCH_ENGINES leaves PostgreSQL out (the smoke run in the tests).
    """
    from bench.metering import bench_readings as measure

    return measure(demo_database_url("postgres" if "postgres" in ENGINES else "sqlite"))


def bench_documents() -> dict[str, dict[str, object]]:
    """Archive size, retrieval+render latency, composition rate and the WeasyPrint ratio (own database)."""
    from bench.documents import bench_documents as measure

    return measure()


def bench_billing() -> dict[str, dict[str, object]]:
    """The monthly charge run of every branch on clones of the demo databases (SQLite and PostgreSQL)."""
    from bench.billing import bench_billing as measure

    return measure()


def bench_integration() -> dict[str, dict[str, object]]:
    from bench.integration import bench_integration as run

    return run()


def bench_payments() -> dict[str, dict[str, object]]:
    """Webhook processing throughput with duplicates and out-of-order notices (own databases)."""
    from bench.payments import bench_webhooks

    return bench_webhooks()


GROUPS = {
    "demo": bench_demo,
    "dashboard": bench_dashboard,
    "readings": bench_readings,
    "documents": bench_documents,
    "payments": bench_payments,
    "integration": bench_integration,
    "billing": bench_billing,
}


def main() -> None:
    only = [g for g in os.environ.get("BENCH_ONLY", "").split(",") if g] or list(GROUPS)
    for name in only:
        record(GROUPS[name]())


def record(figures: dict[str, dict[str, object]]) -> None:
    """Merge a group's figures into bench/results.json as soon as it ends (a later failure keeps them).

    The file is re-read under a lock, so two bench runs (say, one per database) never drop each other's.
    """
    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"figures": {}}
        measured_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for figure_ in figures.values():
            figure_.setdefault("measured_at", measured_at)
            figure_.setdefault("load_average", round(os.getloadavg()[0], 1))
        results["figures"].update(figures)
        results["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
        results["measured_at"] = measured_at
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        WORK.mkdir(parents=True, exist_ok=True)
        with (WORK / "figures.jsonl").open("a") as journal:  # every figure ever measured here, in order
            journal.write(json.dumps(figures, ensure_ascii=False) + "\n")
    print(f"wrote {', '.join(figures)} to {RESULTS}", flush=True)


if __name__ == "__main__":
    main()
