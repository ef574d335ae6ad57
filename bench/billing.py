"""The monthly charge run on the demo databases: 1,000,000 accounts within 10 minutes on 2 cores.

`bench_billing()` clones the demo database the `demo` group left (a file copy on SQLite, a template
copy on PostgreSQL), migrates the clone, and times `manage.py charge_run` for the latest period with
readings — every branch, every account: readings → consumption → charges (averages and norms where
readings are missing), benefits, ledger entries and bills. On PostgreSQL two processes charge and
write chunks (the two cores); on SQLite two reader processes work the chunks out while the one writer
writes them. The figure also gives the CPU seconds the run used (this process's children: the command
and its workers; PostgreSQL's own server processes are not counted), since on a shared, loaded machine
the wall clock says as much about the neighbours as about the run. On PostgreSQL the server's side
is measured too, when the server runs on this machine: the CPU of the clone's backends, read from
/proc while the run goes. The clone is dropped afterwards, so the bench can be repeated and the demo
database itself is never charged.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from contextlib import nullcontext
from pathlib import Path

from bench.common import ACCOUNTS, ENGINES, PG_SERVER, WORK, demo_database_url, figure, manage

GOAL_S = 600.0
WORKERS = {"sqlite": 2, "postgres": int(os.environ.get("BENCH_CHARGE_WORKERS_PG", "2"))}
_TICKS = os.sysconf("SC_CLK_TCK")


def _clone(engine: str) -> str:
    source = demo_database_url(engine)
    if engine == "sqlite":
        original = Path(source.removeprefix("sqlite:///"))
        if not original.exists():
            raise SystemExit(f"no demo database at {original}: run the demo group first")
        copy = WORK / f"billing-{original.name}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
            if Path(f"{original}{suffix}").exists():
                shutil.copyfile(f"{original}{suffix}", f"{copy}{suffix}")
        return f"sqlite:///{copy}"
    import psycopg

    name = source.rsplit("/", 1)[1]
    clone = f"{name}_billing"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{name}"')
    return f"{PG_SERVER}/{clone}"


def _drop(engine: str, url: str) -> None:
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class _ServerCpu:
    """The CPU seconds of a database's PostgreSQL backends on this machine, sampled from /proc.

    A backend's last sample before it exits is kept, so up to `every` seconds of each may be missed;
    the workers keep their connections for the whole run, so that is a few seconds at most.
    """

    def __init__(self, database: str, every: float = 0.5) -> None:
        self.database, self.every = database, every
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _ServerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            while not self._stop.is_set():
                query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                for (pid,) in conn.execute(query, [self.database]).fetchall():
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:  # gone, or a server on another machine
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
                self._stop.wait(self.every)


def time_charge_run(engine: str) -> tuple[float, int, float, float | None]:
    """Return the seconds of the charge run on a clone of the demo database, the accounts charged, the
    CPU seconds the command and its workers used and (PostgreSQL) the CPU seconds of its backends."""
    url = _clone(engine)
    server = _ServerCpu(url.rsplit("/", 1)[1]) if engine == "postgres" else None
    try:
        manage("migrate", "--verbosity", "0", database_url=url)
        before = os.times()
        started = time.monotonic()
        with server or nullcontext():
            done = manage("charge_run", "--workers", str(WORKERS[engine]), database_url=url)
        seconds = time.monotonic() - started
        after = os.times()
    finally:
        _drop(engine, url)
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    match = re.search(r"charged (\d+) accounts", done.stdout)
    return seconds, int(match.group(1)) if match else 0, cpu, server.seconds if server else None


def bench_billing() -> dict[str, dict[str, object]]:
    suffix = "1m" if ACCOUNTS == 1_000_000 else f"{ACCOUNTS}"
    figures = {}
    for engine in ENGINES:
        load_before = os.getloadavg()[0]
        seconds, accounts, cpu, server_cpu = time_charge_run(engine)
        rate = accounts / max(seconds, 1e-9)
        load = os.getloadavg()[0]
        server = (
            f"; {server_cpu:,.0f} CPU s in the server's backends ({accounts / max(server_cpu, 1e-9):,.0f}"
            " accounts per CPU second)"
            if server_cpu
            else ""
        )
        print(
            f"charge run {engine}: {seconds:.1f} s for {accounts:,} accounts ({rate:,.0f}/s),"
            f" {cpu:.1f} CPU s in the command's processes{server}, load {load_before:.1f} before,"
            f" {load:.1f} after",
            flush=True,
        )
        figures[f"charge_run_{suffix}_{engine}_s"] = figure(
            seconds,
            "s",
            GOAL_S,
            f"manage.py charge_run --workers {WORKERS[engine]} on a clone of the {ACCOUNTS:,}-account demo "
            f"({engine}): {accounts:,} accounts charged and billed, {rate:,.0f} accounts/s"
            f" (1,000,000 at this rate: {1_000_000 / max(rate, 1e-9):,.0f} s);"
            f" {cpu:,.0f} CPU s in the command's processes ({accounts / max(cpu, 1e-9):,.0f} accounts"
            f" per CPU second){server}, load average {load_before:.1f} before, {load:.1f} after"
            "; baseline = the 10-minute goal",
        )
    return figures
