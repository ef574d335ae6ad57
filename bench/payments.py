"""Webhook throughput: signed sandbox notifications through the real HTTP endpoint, with duplicates.

`bench_webhooks()` builds a scratch database per engine (migrate + `manage.py demo` with a few thousand
accounts), records BENCH_WEBHOOK_PAYMENTS payments (default 5,000) as the cabinet would, then POSTs
four notifications per payment to /api/v1/payments/webhooks/sandbox on granian (2 workers): "succeeded"
twice and "waiting for 3-D Secure" twice, shuffled so that about half the payments meet "succeeded"
before the 3-D Secure notice (out of order). Each notification is signed with HMAC-SHA256 when sent.

Figure: webhooks_per_s (all deliveries ÷ wall time; goal 200/s), with GET /healthz on the same server and
clients as the floor of each engine in the note. The run fails unless every payment
ended "succeeded" and was credited exactly once: the ledger's online entries sum to minus the sum of
the payments, one receipt per payment, one applied "succeeded" per payment, every duplicate logged.
The Django side runs in subprocesses (`python bench/payments.py prepare|verify URL`).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 200.0
PAYMENTS = int(os.environ.get("BENCH_WEBHOOK_PAYMENTS", "5000"))
ACCOUNTS = int(os.environ.get("BENCH_WEBHOOK_ACCOUNTS", "2000"))
CONCURRENCY = {"sqlite": 4, "postgres": 16}  # SQLite has one writer: more clients only queue on its lock
SECRET = "bench-sandbox-secret"  # noqa: S105 - the scratch server's own sandbox secret
PATH = "/api/v1/payments/webhooks/sandbox"


def bench_webhooks() -> dict[str, dict[str, object]]:
    """Measure webhook processing on SQLite and PostgreSQL; return the figures."""
    from bench.common import ENGINES, figure, fresh_postgres, fresh_sqlite

    figures: dict[str, dict[str, object]] = {}
    rates = {}
    for engine, fresh, name in (
        ("sqlite", fresh_sqlite, "payments-webhooks.sqlite3"),
        ("postgres", fresh_postgres, "abonent_bench_payments"),
    ):
        if engine in ENGINES:
            rates[engine] = _measure(engine, fresh(name))
    best = max(rates, key=lambda name: rates[name]["per_s"])
    for engine, rate in rates.items():
        print(
            f"webhooks ({engine}): {rate['per_s']:.0f}/s, {rate['deliveries']} deliveries;"
            f" floor GET /healthz {rate['floor_per_s']:.0f}/s",
            flush=True,
        )
    figures["webhooks_per_s"] = figure(
        rates[best]["per_s"],
        "webhooks/s",
        GOAL,
        f"{PAYMENTS:,} payments × 4 signed notifications (succeeded twice, 3-D Secure twice, shuffled)"
        f" POSTed to the real endpoint on granian (2 workers) on {best}; each credited once (verified);"
        + "".join(
            f" {name}: {rate['per_s']:.0f}/s (floor GET /healthz {rate['floor_per_s']:.0f}/s);"
            for name, rate in rates.items()
        )
        + " baseline = the 200/s goal",
    )
    return figures


def _measure(engine: str, url: str) -> dict[str, float]:
    from bench.server import measure_latency, running_server

    _django("migrate", url, "--verbosity", "0", manage=True)
    _django("demo", url, "--accounts", str(ACCOUNTS), manage=True)
    plan = json.loads(_django("prepare", url))
    deliveries = _deliveries(plan)
    os.environ["PAYMENTS_SANDBOX_SECRET"] = SECRET
    with running_server(url, workers=2, threads=8) as base:
        started = time.perf_counter()
        statuses = _post_all(base, deliveries, CONCURRENCY[engine])
        elapsed = time.perf_counter() - started
        # The floor: the cheapest page of the same server (one database and one cache round trip) under
        # the same clients at about the same moment, so a loaded machine shows in both figures.
        floor = measure_latency(f"{base}/healthz", concurrency=CONCURRENCY[engine], total=2000)
    bad = {status: count for status, count in statuses.items() if status != 200}
    if bad:
        raise RuntimeError(f"webhook answers other than 200: {bad}")
    verdict = json.loads(_django("verify", url))
    if not verdict["ok"]:
        raise RuntimeError(f"payments not credited exactly once on {engine}: {verdict}")
    return {"per_s": len(deliveries) / elapsed, "deliveries": len(deliveries), "floor_per_s": floor.per_s}


def _deliveries(plan: list[dict[str, str]]) -> list[bytes]:
    """Return the notification bodies to send: per payment succeeded ×2 and waiting_3ds ×2, shuffled."""
    rng = random.Random(2026)
    bodies = []
    for payment in plan:
        for status in ("succeeded", "waiting_3ds"):
            body = json.dumps(
                {
                    "id": f"evt_{payment['id']}_{status}",
                    "type": f"payment.{status}",
                    "created": "2026-02-10T10:00:00+03:00",
                    "payment": {
                        "id": payment["id"],
                        "reference": payment["reference"],
                        "status": status,
                        "amount": payment["amount"],
                        "card": None,
                    },
                },
                separators=(",", ":"),
            ).encode()
            bodies += [body, body]
    rng.shuffle(bodies)
    return bodies


def _sign(body: bytes) -> str:
    moment = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def _post_all(base: str, bodies: list[bytes], concurrency: int) -> dict[int, int]:
    host, port = base.removeprefix("http://").split(":")

    def client(index: int) -> dict[int, int]:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        counts: dict[int, int] = {}
        for body in bodies[index::concurrency]:
            headers = {"Content-Type": "application/json", "X-Sandbox-Signature": _sign(body)}
            conn.request("POST", PATH, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            counts[response.status] = counts.get(response.status, 0) + 1
        conn.close()
        return counts

    totals: dict[int, int] = {}
    with ThreadPoolExecutor(concurrency) as pool:
        for counts in pool.map(client, range(concurrency)):
            for status, count in counts.items():
                totals[status] = totals.get(status, 0) + count
    return totals


def _django(command: str, url: str, *args: str, manage: bool = False) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "abonent.config.settings",
        "PAYMENTS_SANDBOX_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    if manage:
        argv = [sys.executable, str(ROOT / "manage.py"), command, *args]
    else:
        argv = [sys.executable, __file__, command, url, *args]
    return subprocess.run(argv, env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout


# --- The Django side (subprocesses) ----------------------------------------------------------------


def _setup_django() -> None:
    import django

    sys.path.insert(0, str(ROOT / "src"))
    django.setup()


def prepare() -> None:
    """Record PAYMENTS cabinet payments (one account each, 100.00–5,000.00 ₽) and print them as JSON."""
    _setup_django()
    import secrets
    from decimal import Decimal

    from django.db import transaction

    from abonent.customers.models import Account
    from abonent.payments.models import Payment, PaymentLine

    accounts = list(Account.objects.order_by("id").values_list("id", flat=True)[:ACCOUNTS])
    rng = random.Random(7)
    plan = []
    run = secrets.token_hex(3)
    with transaction.atomic():
        for number in range(PAYMENTS):
            amount = Decimal(rng.randint(10_000, 500_000)) / 100
            payment = Payment.objects.create(
                gateway="sandbox",
                gateway_payment_id=f"sbx_bench_{run}_{number:06d}",
                idempotency_key=secrets.token_hex(16),
                origin=Payment.Origin.CABINET,
                amount=amount,
                description="bench",
            )
            account_id = accounts[number % len(accounts)]
            PaymentLine.objects.create(payment=payment, account_id=account_id, amount=amount)
            reference = str(payment.public_id)
            plan.append({"id": payment.gateway_payment_id, "reference": reference, "amount": str(amount)})
    print(json.dumps(plan))


def verify() -> None:
    """Print whether every payment succeeded and was credited exactly once."""
    _setup_django()
    from decimal import Decimal

    from abonent.billing.models import LedgerEntry
    from abonent.payments.models import Payment, PaymentStatus, Receipt, WebhookEvent

    payments = Payment.objects.all()
    paid = sum(payments.values_list("amount", flat=True), Decimal(0))
    credited = sum(LedgerEntry.objects.filter(source="online").values_list("amount", flat=True), Decimal(0))
    outcomes = dict.fromkeys(WebhookEvent.Outcome.values, 0)
    for outcome in WebhookEvent.objects.values_list("outcome", flat=True):
        outcomes[outcome] += 1
    applied_success = WebhookEvent.objects.filter(status="succeeded", outcome="applied").count()
    result = {
        "payments": payments.count(),
        "succeeded": payments.filter(status=PaymentStatus.SUCCEEDED, credited_at__isnull=False).count(),
        "paid": str(paid),
        "credited": str(-credited),
        "receipts": Receipt.objects.count(),
        "outcomes": outcomes,
    }
    result["ok"] = (
        result["succeeded"] == result["payments"] == result["receipts"] == applied_success
        and -credited == paid
        and outcomes["duplicate"] == 2 * result["payments"]
        and outcomes["rejected"] == 0
    )
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] in {"prepare", "verify"}:
        os.environ["DATABASE_URL"] = sys.argv[2]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abonent.config.settings")
        {"prepare": prepare, "verify": verify}[sys.argv[1]]()
    else:
        print(json.dumps(bench_webhooks(), indent=2))
