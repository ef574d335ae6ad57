"""What every benchmark group shares: paths, the scale, scratch databases and the figure format."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
# BENCH_RESULTS lets a trial run at a small scale write elsewhere, never over the measured figures.
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results.json"))
# BENCH_ENGINES limits a run to some engines (e.g. "postgres"); every group that measures per engine reads it.
ENGINES = [engine for engine in os.environ.get("BENCH_ENGINES", "sqlite,postgres").split(",") if engine]
PYTHON = sys.executable
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "1000000"))
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "abonent.config.settings"}
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args], env=env, check=True, capture_output=True, text=True
    )


def fresh_sqlite(name: str) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{WORK / name}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{WORK / name}"


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def figure(value: float, unit: str, baseline: float, note: str) -> dict[str, object]:
    return {
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "ratio": round(value / baseline, 3),
        "note": note,
    }


# Named by scale, so a small trial run never overwrites the million-account databases.
DEMO_SQLITE = f"demo-{ACCOUNTS}.sqlite3"
DEMO_POSTGRES = f"abonent_bench_demo_{ACCOUNTS}"


def demo_database_url(engine: str) -> str:
    """Return the URL of the million-account demo database the `demo` group left for the other groups."""
    if engine == "sqlite":
        return f"sqlite:///{WORK / DEMO_SQLITE}"
    return f"{PG_SERVER}/{DEMO_POSTGRES}"
