"""SMS through SMS.ru's HTTP API: POST https://sms.ru/sms/send with api_id, to, msg, json=1.

The answer (json=1) is {"status": "OK"|"ERROR", "status_code": 100, "sms": {"79XXXXXXXXX": {"status":
"OK", "status_code": 100, "sms_id": "000000-10000000"} | {"status": "ERROR", "status_code": 207,
"status_text": "..."}}, "balance": 4122.56}. A request-level error has the top "status" "ERROR" with
its code. Codes that retrying can fix (no money yet, daily or per-number limits, service unavailable,
server error) are transient; the others (bad api_id, bad number, text or sender) are permanent.

Enable with SMS_TRANSPORT=abonent.messaging.channels.smsru.SmsRuTransport and SMSRU_API_ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings

from abonent.messaging.channels import ChannelError, DeliveryReceipt, OutgoingMessage

ACCEPTED = 100
# SMS.ru's documented codes that may succeed later: 201 not enough money on the account, 206 daily
# limit, 220 service temporarily unavailable, 230-233 per-number limits, 500 server error.
TRANSIENT_CODES = frozenset({201, 206, 220, 230, 231, 232, 233, 500})
CONNECT_TIMEOUT_SECONDS = 5.0
USER_AGENT = "abonent-smsru/1"


def post_form(url: str, data: Mapping[str, str], *, timeout: float) -> httpx.Response:
    """POST a form with bounded timeouts; a network failure is a transient ChannelError.

    The one place this adapter talks HTTP (healthchecks' "one choke point for outbound HTTP").
    """
    limits = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout))
    try:
        with httpx.Client(
            timeout=limits, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        ) as client:
            return client.post(url, data=dict(data))
    except httpx.TimeoutException as exc:
        raise ChannelError(f"SMS.ru timed out: {exc.__class__.__name__}", permanent=False) from exc
    except httpx.HTTPError as exc:
        raise ChannelError(f"SMS.ru unreachable: {exc}", permanent=False) from exc


class SmsRuTransport:
    def __init__(
        self,
        *,
        api_id: str | None = None,
        url: str | None = None,
        sender: str | None = None,
        test: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        self.api_id = settings.SMSRU_API_ID if api_id is None else api_id
        self.url = url or settings.SMSRU_API_URL
        self.sender = settings.SMSRU_SENDER if sender is None else sender
        self.test = settings.SMSRU_TEST if test is None else test
        self.timeout = float(timeout or settings.SMSRU_TIMEOUT_SECONDS)

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        if not self.api_id:
            raise ChannelError("SMS.ru: SMSRU_API_ID is not set", permanent=True)
        phone = message.recipient.lstrip("+")
        response = post_form(self.url, self._form(phone, message.body), timeout=self.timeout)
        return DeliveryReceipt(provider_message_id=_sms_id(_json(response), phone))

    def _form(self, phone: str, text: str) -> dict[str, str]:
        form = {"api_id": self.api_id, "to": phone, "msg": text, "json": "1"}
        if self.sender:
            form["from"] = self.sender
        if self.test:
            form["test"] = "1"
        return form


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 500 or response.status_code == 429:
        raise ChannelError(f"SMS.ru HTTP {response.status_code}", permanent=False)
    if response.status_code != 200:
        raise ChannelError(f"SMS.ru HTTP {response.status_code}", permanent=True)
    try:
        body = response.json()
    except ValueError as exc:
        raise ChannelError("SMS.ru answered with something that is not JSON", permanent=False) from exc
    if not isinstance(body, dict):
        raise ChannelError("SMS.ru answered with an unexpected JSON shape", permanent=False)
    return body


def _sms_id(body: dict[str, Any], phone: str) -> str:
    if body.get("status") != "OK":
        raise _error(body)
    entry = (body.get("sms") or {}).get(phone)
    if not isinstance(entry, dict):
        raise ChannelError(f"SMS.ru answer has no entry for {phone[:4]}…", permanent=False)
    if entry.get("status") != "OK":
        raise _error(entry)
    return str(entry.get("sms_id", ""))


def _error(part: Mapping[str, Any]) -> ChannelError:
    try:
        code = int(part.get("status_code", 0))
    except (TypeError, ValueError):
        code = 0
    text = str(part.get("status_text", ""))[:200]
    return ChannelError(f"SMS.ru {code}: {text}".strip(), permanent=code not in TRANSIENT_CODES and code != 0)
