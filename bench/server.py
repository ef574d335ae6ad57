"""Run the real web server (granian) against a benchmark database and load it from a thread pool."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRANIAN = Path(sys.executable).parent / "granian"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    database_url: str, *, workers: int = 2, threads: int = 8, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Start granian on a free loopback port for the database and yield its base URL.

    The cache is Redis (BENCH_REDIS_URL, flushed first) as in production, unless BENCH_REDIS_URL is empty.
    """
    port = free_port()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        **({"REDIS_URL": redis_url} if redis_url else {}),
        **(extra_env or {}),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "abonent.config.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [
            str(GRANIAN),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--no-log",
            "abonent.config.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_up(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"granian exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            status, _ = request(f"http://127.0.0.1:{port}/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("granian did not answer /healthz within 60 s")


def request(
    url: str, *, cookie: str = "", connection: http.client.HTTPConnection | None = None
) -> tuple[int, bytes]:
    parsed = urllib.parse.urlsplit(url)
    conn = connection or http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    conn.request(
        "GET",
        parsed.path + (f"?{parsed.query}" if parsed.query else ""),
        headers={"Cookie": cookie, "Accept-Language": "ru"},
    )
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float
    requests: int
    per_s: float


def measure_latency(url: str, *, cookie: str = "", concurrency: int = 20, total: int = 2000) -> Latency:
    """Fire `total` GETs from `concurrency` keep-alive clients and return latency percentiles."""
    per_client = max(1, total // concurrency)
    parsed = urllib.parse.urlsplit(url)

    def client(_: int) -> list[float]:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        samples = []
        for _ in range(per_client):
            started = time.perf_counter()
            status, _body = request(url, cookie=cookie, connection=conn)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            samples.append((time.perf_counter() - started) * 1000)
        conn.close()
        return samples

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        samples = [s for batch in pool.map(client, range(concurrency)) for s in batch]
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(samples, n=100)
    return Latency(
        p50_ms=statistics.median(samples),
        p95_ms=quantiles[94],
        requests=len(samples),
        per_s=len(samples) / elapsed,
    )


def sign_in(base_url: str, login: str, password: str) -> str:
    """Sign in through the real login form and return the Cookie header of the session."""
    parsed = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf_cookie = _cookie(response, "csrftoken")
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"username": login, "password": password, "csrfmiddlewaretoken": token})
    conn.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"{base_url}/login/",
            "Origin": base_url,
        },
    )
    response = conn.getresponse()
    response.read()
    session = _cookie(response, "sessionid")
    if response.status != 302 or not session:
        raise RuntimeError(f"sign-in as {login} failed with {response.status}")
    conn.close()
    return f"sessionid={session}; csrftoken={csrf_cookie}"


def _cookie(response: http.client.HTTPResponse, name: str) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        key, _, rest = header.partition("=")
        if key.strip() == name:
            return rest.split(";", 1)[0]
    return ""
