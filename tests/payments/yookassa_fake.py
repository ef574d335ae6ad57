"""A local HTTP server speaking the part of YooKassa's API v3 the adapter uses (https://yookassa.ru/developers/api).

POST /v3/payments (Idempotence-Key required; the same key returns the same payment), GET /v3/payments/{id},
GET /v3/payments (status, captured_at.gte/.lt, limit, cursor), POST /v3/payments/{id}/capture,
POST /v3/refunds. Every request needs HTTP basic auth `shopId:secretKey`. Tests drive the payer's side
with `complete()` (what the hosted page and the bank would do).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SHOP_ID = "123456"
SECRET = "test_secret_key"


class FakeYooKassa:
    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.methods: dict[str, dict[str, Any]] = {}
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeYooKassa:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the payer's side -------------------------------------------------------------------------
    def complete(
        self, payment_id: str, *, status: str = "succeeded", party: str = "issuer"
    ) -> dict[str, Any]:
        """Finish a payment as the hosted page would: succeeded (card saved if asked) or canceled."""
        payment = self.payments[payment_id]
        payment["status"] = status
        if status in ("succeeded", "waiting_for_capture"):
            payment["paid"] = True
            payment["payment_method"] = self._card(saved=payment.pop("_save", False))
            if status == "succeeded":
                payment["captured_at"] = _now()
        else:
            payment["cancellation_details"] = {"party": party, "reason": "insufficient_funds"}
        return payment

    def _card(self, *, saved: bool) -> dict[str, Any]:
        method = {
            "type": "bank_card",
            "id": str(uuid.uuid4()),
            "saved": saved,
            "title": "Bank card *4444",
            "card": {
                "first6": "555555",
                "last4": "4444",
                "expiry_year": "2029",
                "expiry_month": "12",
                "card_type": "MasterCard",
                "issuer_country": "RU",
            },
        }
        self.methods[method["id"]] = method
        return method

    # --- the API ----------------------------------------------------------------------------------
    def create(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        if key in self.by_key:
            return 200, self.by_key[key]
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "created_at": _now(),
            "recipient": {"account_id": SHOP_ID, "gateway_id": "1"},
            "refundable": False,
            "test": True,
        }
        method_id = body.get("payment_method_id")
        if method_id:
            if method_id not in self.methods:
                return 400, _error("invalid_request", "payment_method_id")
            payment.update(
                status="succeeded", paid=True, captured_at=_now(), payment_method=self.methods[method_id]
            )
        else:
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"https://yoomoney.example/checkout/{payment_id}",
            }
            payment["_save"] = bool(body.get("save_payment_method"))
        self.payments[payment_id] = payment
        self.by_key[key] = payment
        return 200, payment

    def listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        items = [p for p in self.payments.values() if p["status"] == query.get("status", [p["status"]])[0]]
        low, high = query.get("captured_at.gte", [None])[0], query.get("captured_at.lt", [None])[0]
        if low and high:
            items = [
                p
                for p in items
                if p.get("captured_at")
                and datetime.fromisoformat(low)
                <= datetime.fromisoformat(p["captured_at"].replace("Z", "+00:00"))
                < datetime.fromisoformat(high)
            ]
        limit = int(query.get("limit", ["100"])[0])
        start = int(query.get("cursor", ["0"])[0])
        page = items[start : start + limit]
        cursor = str(start + limit) if start + limit < len(items) else None
        result: dict[str, Any] = {"type": "list", "items": [_public(p) for p in page]}
        if cursor:
            result["next_cursor"] = cursor
        return result


def _public(payment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payment.items() if not k.startswith("_")}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _error(code: str, parameter: str = "") -> dict[str, Any]:
    return {"type": "error", "id": str(uuid.uuid4()), "code": code, "parameter": parameter}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYooKassa

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if not self._authorized():
            return None
        parts = urlsplit(self.path)
        self.fake.requests.append({"method": "GET", "path": parts.path, "query": parts.query})
        if parts.path == "/v3/payments":
            return self._send(200, self.fake.listing(parse_qs(parts.query)))
        payment = self.fake.payments.get(parts.path.rsplit("/", 1)[-1])
        if payment is None:
            return self._send(404, _error("not_found"))
        return self._send(200, _public(payment))

    def do_POST(self) -> None:
        if not self._authorized():
            return None
        key = self.headers.get("Idempotence-Key")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.fake.requests.append({"method": "POST", "path": self.path, "key": key, "body": body})
        if not key:
            return self._send(400, _error("invalid_request", "Idempotence-Key"))
        if self.path == "/v3/payments":
            status, payment = self.fake.create(body, key)
            return self._send(status, _public(payment))
        if self.path.endswith("/capture"):
            payment = self.fake.payments[self.path.split("/")[3]]
            payment.update(status="succeeded", captured_at=_now())
            return self._send(200, _public(payment))
        if self.path == "/v3/refunds":
            payment = self.fake.payments.get(body["payment_id"])
            if payment is None or payment["status"] != "succeeded":
                return self._send(400, _error("invalid_request", "payment_id"))
            payment["refunded_amount"] = body["amount"]
            refund = {"id": str(uuid.uuid4()), "payment_id": payment["id"], "status": "succeeded",
                      "amount": body["amount"], "created_at": _now()}  # fmt: skip
            return self._send(200, refund)
        return self._send(404, _error("not_found"))

    def _authorized(self) -> bool:
        expected = "Basic " + base64.b64encode(f"{SHOP_ID}:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(401, _error("invalid_credentials"))
            return False
        return True

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
