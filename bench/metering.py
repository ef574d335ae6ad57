"""Readings throughput: submissions per second through the service layer and through the HTTP API.

`bench_readings()` works on a database made by `manage.py demo --accounts N` (N = BENCH_ACCOUNTS):
the one given, BENCH_READINGS_DATABASE_URL, or a fresh SQLite file built here. It measures

- readings_service_per_s: `submit_readings` called in loops (each call its own transaction with
  the window, history, rollover and outlier checks) by SERVICE_PROCESSES processes at once: one on
  SQLite (one writer at a time), six on PostgreSQL (whose commits wait for the disk, so throughput
  needs several sessions, as it has in production), each on its own meters, with the cache the server
  uses (Redis, BENCH_REDIS_URL); goal 1000/s;
- readings_http_per_s: POST /api/v1/metering/meters/{id}/readings through granian (BENCH_WEB_WORKERS, 2),
  signed in through the login form as the demo company's accountant (a customer with 24 meters;
  session cookie + CSRF header, as the cabinet's pages and a mobile app would), from a bounded pool
  of keep-alive clients (4 on SQLite, whose writers queue on one lock; 16 on PostgreSQL); every
  answer must be 201; goal 300/s. (An integration's bearer token would skip the session, but
  api/auth.py tries the session first and its CSRF check refuses a token POST.)

Each submission is for a random meter in service, a little above its last reading, so every one
passes validation (a meter drawn twice supersedes its earlier reading, which is part of the work).
The Django side runs in subprocesses (`python bench/metering.py prepare|service`) against the URL.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
sys.path.insert(0, str(Path(__file__).resolve().parent))

SERVICE_GOAL = 1000.0
HTTP_GOAL = 300.0
SAMPLE_METERS = 3000
SERVICE_SUBMISSIONS = int(os.environ.get("BENCH_READINGS_SERVICE", "12000"))
HTTP_SUBMISSIONS = int(os.environ.get("BENCH_READINGS_HTTP", "3000"))
CONCURRENCY = {"sqlite": 4, "postgres": 16}
SERVICE_PROCESSES = {"sqlite": 1, "postgres": int(os.environ.get("BENCH_READINGS_PROCESSES", "6"))}
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))


def bench_readings(database_url: str | None = None) -> dict[str, dict[str, object]]:
    """Measure reading submissions per second through the service layer and the HTTP API."""
    url = database_url or os.environ.get("BENCH_READINGS_DATABASE_URL") or demo_database()
    accounts = int(os.environ.get("BENCH_ACCOUNTS", "1000000"))
    engine = "postgres" if url.startswith("postgres") else "sqlite"
    _manage(url, "migrate", "--verbosity", "0")  # a demo built before the latest migrations
    plan = json.loads(_django("prepare", url))
    service = _service_rate(url, SERVICE_PROCESSES[engine])
    print(
        f"readings service ({engine}): {service['per_s']:.0f}/s, {service['rejected']} rejected", flush=True
    )
    http_rate = _http_rate(url, plan, CONCURRENCY[engine])
    print(
        f"readings HTTP ({engine}): {http_rate['per_s']:.0f}/s, p50 {http_rate['p50_ms']:.1f} ms", flush=True
    )
    scale = f"{accounts:,}-account demo on {engine}"
    return {
        "readings_service_per_s": _figure(
            service["per_s"],
            SERVICE_GOAL,
            f"submit_readings in {service['processes']} process(es), {service['count']} submissions "
            "for random meters in service (window, history, rollover and outlier checks; each a read "
            f"and an atomic write, Redis cache marked stale), all processes started together, {scale}; "
            "baseline = goal",
        ),
        "readings_http_per_s": _figure(
            http_rate["per_s"],
            HTTP_GOAL,
            f"POST /api/v1/metering/meters/{{id}}/readings as a signed-in customer (24 meters), granian "
            f"{WEB_WORKERS} workers × {http_rate['threads']} threads, {http_rate['clients']} keep-alive "
            f"clients, {http_rate['count']} submissions all 201 "
            f"(p50 {http_rate['p50_ms']:.1f} ms, p95 {http_rate['p95_ms']:.1f} ms), {scale}; baseline = goal",
        ),
    }


def demo_database() -> str:
    """Build a fresh SQLite demo of BENCH_ACCOUNTS accounts under bench/work and return its URL."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "readings.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    _manage(url, "migrate", "--verbosity", "0")
    _manage(url, "demo", "--accounts", os.environ.get("BENCH_ACCOUNTS", "1000000"))
    return url


def _figure(value: float, baseline: float, note: str) -> dict[str, object]:
    return {
        "value": round(value, 1),
        "unit": "1/s",
        "baseline": baseline,
        "ratio": round(value / baseline, 3),
        "note": note,
    }


def _env(url: str) -> dict[str, str]:
    # The service loop uses the cache the server does (Redis, as in production): a submission marks the
    # customer's cached pages stale there.
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    return {
        **os.environ,
        **({"REDIS_URL": redis_url} if redis_url else {}),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "abonent.config.settings",
        "LOG_LEVEL": "WARNING",
    }


def _manage(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=_env(url), check=True, capture_output=True
    )


def _service_rate(url: str, processes: int) -> dict[str, float]:
    """Run the service loop in several processes at once and add up their submissions.

    Each process samples its meters first (thousands of queries), says "ready" and waits; all start
    together, so the measured window holds only submissions, every process submitting.
    """
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "service"],
            env={**_env(url), "BENCH_WORKER": f"{index}/{processes}"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for index in range(processes)
    ]
    for worker in workers:
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError("a service worker failed before it was ready")
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode:
            raise RuntimeError(f"service worker failed with {worker.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    count = sum(r["count"] for r in results)
    elapsed = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return {
        "per_s": count / elapsed,
        "count": count,
        "rejected": sum(r["rejected"] for r in results),
        "processes": processes,
    }


def _django(step: str, url: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, step], env=_env(url), check=True, capture_output=True, text=True, cwd=ROOT
    )
    return result.stdout.strip().splitlines()[-1]


# --- HTTP ------------------------------------------------------------------------------------------
def _http_rate(url: str, plan: dict, concurrency: int) -> dict[str, float]:
    from server import running_server, sign_in

    meters = plan["meters"]
    per_client = max(1, HTTP_SUBMISSIONS // concurrency)
    threads = int(os.environ.get("BENCH_WEB_THREADS", concurrency))  # a thread per client by default
    with running_server(url, workers=WEB_WORKERS, threads=threads) as base:
        parsed = urllib.parse.urlsplit(base)
        cookie = sign_in(base, plan["login"], plan["password"])
        csrf = cookie.split("csrftoken=", 1)[1].split(";", 1)[0]
        headers = {"Cookie": cookie, "X-CSRFToken": csrf, "Content-Type": "application/json"}

        def client(number: int) -> list[float]:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
            samples = []
            for index in range(per_client):
                meter = meters[(number * per_client + index) % len(meters)]
                body = json.dumps({"values": _above(meter["values"], index)})
                started = time.perf_counter()
                conn.request(
                    "POST", f"/api/v1/metering/meters/{meter['id']}/readings", body=body, headers=headers
                )
                response = conn.getresponse()
                answer = response.read()
                if response.status != 201:
                    raise RuntimeError(f"meter {meter['id']}: {response.status} {answer[:300]!r}")
                samples.append((time.perf_counter() - started) * 1000)
            conn.close()
            return samples

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            samples = sorted(s for batch in pool.map(client, range(concurrency)) for s in batch)
        elapsed = time.perf_counter() - started
    return {
        "per_s": len(samples) / elapsed,
        "count": len(samples),
        "clients": concurrency,
        "threads": threads,
        "p50_ms": samples[len(samples) // 2],
        "p95_ms": samples[int(len(samples) * 0.95)],
    }


def _above(values: dict[str, str], step: int) -> dict[str, str]:
    """Return values a little above the meter's last reading (one more unit per repeat)."""
    return {zone: str(round(float(value) + 1 + step % 7, 3)) for zone, value in values.items()}


# --- the Django side (run as `python bench/metering.py prepare|service` with DATABASE_URL set) ---------
def _setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _sample(ids: list[int] | None = None) -> list[dict]:
    """Return meters that take readings today (random ones, or the given) with their last reading."""
    import random

    from django.db.models import Max
    from django.utils import timezone

    from abonent.metering.models import Meter, Reading

    top = Meter.objects.aggregate(top=Max("id"))["top"] or 0
    rng = random.Random(354)
    wanted = ids or rng.sample(range(1, top + 1), min(top, SAMPLE_METERS * 2))
    meters = Meter.objects.filter(
        pk__in=wanted, status=Meter.Status.ACTIVE, next_verification_on__gt=timezone.localdate()
    ).values_list("id", flat=True)[:SAMPLE_METERS]
    sample = []
    for meter_id in meters:
        last = (
            Reading.objects.filter(meter_id=meter_id, superseded_at__isnull=True).order_by("-period").first()
        )
        if last is not None:
            sample.append({"id": meter_id, "values": {z: str(v) for z, v in last.values.items()}})
    return sample


def _prepare() -> dict:
    """Return the login of the demo company's accountant and the meters of its twelve accounts."""
    from abonent.demo.personas import DEMO_PASSWORD, demo_logins
    from abonent.identity.models import User
    from abonent.identity.selectors import accounts_for_user
    from abonent.metering.models import Meter

    login = next(item.login for item in demo_logins() if item.role == "company")
    user = User.objects.filter(email=login).first()
    if user is None:
        raise SystemExit("the database has no demo company login: is it a demo database?")
    ids = Meter.objects.filter(account__in=accounts_for_user(user=user)).values_list("id", flat=True)
    return {"login": login, "password": DEMO_PASSWORD, "meters": _sample(list(ids))}


def _service() -> dict:
    from decimal import Decimal

    from abonent.metering.errors import ReadingsRejected
    from abonent.metering.models import Channel, Meter
    from abonent.metering.services import submit_readings

    index, processes = (int(part) for part in os.environ.get("BENCH_WORKER", "0/1").split("/"))
    sample = _sample()[index::processes]  # each process its own meters: no waiting on each other's locks
    meters = {m.pk: m for m in Meter.objects.filter(pk__in=[item["id"] for item in sample])}
    count = SERVICE_SUBMISSIONS // processes
    rejected = 0
    print("ready", flush=True)
    sys.stdin.readline()  # "go": every process has sampled its meters
    started = time.time()
    for number in range(count):
        item = sample[number % len(sample)]
        values = {zone: Decimal(value) for zone, value in _above(item["values"], number).items()}
        try:
            submit_readings(meter=meters[item["id"]], values=values, channel=Channel.API)
        except ReadingsRejected:
            rejected += 1
    return {"count": count, "rejected": rejected, "started": started, "ended": time.time()}


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step in ("prepare", "service"):
        _setup()
        print(json.dumps(_prepare() if step == "prepare" else _service()))
    else:
        print(json.dumps(bench_readings(), indent=2, ensure_ascii=False))
