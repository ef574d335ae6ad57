"""A small run of `make bench`: every benchmark group still runs end to end and writes its figures.

Benchmarks are not tests (their figures are measured on a million accounts by `make bench`); this run at a
few hundred accounts only proves the measuring code works, so a change cannot break `make bench` unseen.
It runs on the engine the suite runs on and writes to a temporary file, never to bench/results.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SMOKE_ACCOUNTS = 240  # a scale no one measures at, so the run never reuses or replaces a real bench database
GROUPS = "demo,readings,documents,payments,billing,integration"
FIGURES = {
    "readings_service_per_s",
    "readings_http_per_s",
    "archive_bytes_per_bill",
    "bill_render_p95_ms",
    "bill_compose_per_s",
    "weasyprint_ratio",
    "webhooks_per_s",
}


def test_every_benchmark_group_runs_at_a_small_scale(tmp_path: Path) -> None:
    engine = "postgres" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "BENCH_ACCOUNTS": str(SMOKE_ACCOUNTS),
        "BENCH_ENGINES": engine,
        "BENCH_ONLY": GROUPS,
        "BENCH_RESULTS": str(results),
        "BENCH_READINGS_SERVICE": "60",
        "BENCH_READINGS_HTTP": "60",
        "BENCH_WEBHOOK_PAYMENTS": "60",
        "BENCH_WEBHOOK_ACCOUNTS": "40",
        "DJANGO_SETTINGS_MODULE": "abonent.config.settings",
    }
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "bench" / "run.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    figures = json.loads(results.read_text())["figures"]
    expected = FIGURES | {
        f"demo_{SMOKE_ACCOUNTS}_{engine}_s",
        f"charge_run_{SMOKE_ACCOUNTS}_{engine}_s",
        f"import_{SMOKE_ACCOUNTS}_{engine}_rows_per_s",
    }
    assert expected <= set(figures), sorted(expected - set(figures))
    for name, measured in figures.items():
        assert measured["value"] > 0, name
        assert {"unit", "baseline", "ratio", "note", "measured_at"} <= set(measured), name
