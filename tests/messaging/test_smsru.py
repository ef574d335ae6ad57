"""The SMS.ru adapter against a small local server that speaks SMS.ru's documented /sms/send API.

No network and no mock of the HTTP layer: the adapter makes real HTTP requests to 127.0.0.1.
The fake answers as the documentation shows (json=1): a request-level "status"/"status_code", and per
number "status", "status_code", "sms_id" or "status_text". Numbers ending in a code trigger that code.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from abonent.messaging.channels import ChannelError, OutgoingMessage
from abonent.messaging.channels.smsru import SmsRuTransport
from abonent.messaging.models import OutboundMessage
from abonent.messaging.services import queue_message

API_ID = "A1B2C3D4-E5F6-0000-1111-222233334444"
TEXTS = {
    200: "Неправильный api_id",
    201: "Не хватает средств на лицевом счету",
    207: "На этот номер нет маршрута для доставки сообщений",
    210: "Используется GET, где необходимо использовать POST",
    220: "Сервис временно недоступен, попробуйте чуть позже",
    231: "Превышен лимит одинаковых сообщений на этот номер в минуту",
}


class FakeSmsRu(BaseHTTPRequestHandler):
    requests: list[dict[str, str]] = []

    def do_GET(self) -> None:
        self._json({"status": "ERROR", "status_code": 210, "status_text": TEXTS[210]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        FakeSmsRu.requests.append(form)
        if self.path != "/sms/send":
            self._json({"status": "ERROR", "status_code": 211, "status_text": "Метод не найден"})
            return
        if form.get("api_id") != API_ID:
            self._json({"status": "ERROR", "status_code": 200, "status_text": TEXTS[200]})
            return
        to = form.get("to", "")
        suffix = to[-3:]
        if suffix == "500":
            self.send_response(503)
            self.end_headers()
            return
        if suffix == "999":
            time.sleep(1.5)
        if suffix == "888":
            self._raw(b"100\n000000-10000000\nbalance=4122.56")
            return
        if suffix == "220":
            self._json({"status": "ERROR", "status_code": 220, "status_text": TEXTS[220]})
            return
        if suffix in ("201", "207", "231"):
            entry = {"status": "ERROR", "status_code": int(suffix), "status_text": TEXTS[int(suffix)]}
        else:
            entry = {"status": "OK", "status_code": 100, "sms_id": f"000000-{len(FakeSmsRu.requests):08d}"}
        self._json({"status": "OK", "status_code": 100, "sms": {to: entry}, "balance": 4122.56})

    def _json(self, body: dict) -> None:  # type: ignore[type-arg]
        self._raw(json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json")

    def _raw(self, payload: bytes, content_type: str = "text/plain") -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the timeout test's client gave up
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def smsru_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSmsRu)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fresh_log() -> None:
    FakeSmsRu.requests = []


def _send(url: str, phone: str, **options) -> str:  # type: ignore[no-untyped-def]
    transport = SmsRuTransport(api_id=options.pop("api_id", API_ID), url=url, **options)
    return transport.send(OutgoingMessage(phone, "", "Абонент: код 123456", "otp:1")).provider_message_id


def test_a_message_is_posted_and_its_id_returned(smsru_url: str) -> None:
    assert _send(smsru_url, "+79120000001") == "000000-00000001"
    assert FakeSmsRu.requests == [
        {"api_id": API_ID, "to": "79120000001", "msg": "Абонент: код 123456", "json": "1"}
    ]


def test_sender_and_test_mode_are_passed(smsru_url: str) -> None:
    _send(smsru_url, "+79120000001", sender="ENERGO", test=True)
    assert FakeSmsRu.requests[0]["from"] == "ENERGO" and FakeSmsRu.requests[0]["test"] == "1"


@pytest.mark.parametrize(
    ("phone", "api_id", "permanent", "code"),
    [
        ("+79120000001", "wrong-key", True, 200),
        ("+79990000207", API_ID, True, 207),
        ("+79990000201", API_ID, False, 201),
        ("+79990000231", API_ID, False, 231),
        ("+79990000220", API_ID, False, 220),
    ],
)
def test_provider_errors_say_whether_to_retry(
    smsru_url: str, phone: str, api_id: str, permanent: bool, code: int
) -> None:
    with pytest.raises(ChannelError) as error:
        _send(smsru_url, phone, api_id=api_id)
    assert error.value.permanent is permanent
    assert str(error.value).startswith(f"SMS.ru {code}:")


def test_an_http_server_error_is_transient(smsru_url: str) -> None:
    with pytest.raises(ChannelError) as error:
        _send(smsru_url, "+79990000500")
    assert error.value.permanent is False and "503" in str(error.value)


def test_a_slow_answer_times_out_quickly_and_is_transient(smsru_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(ChannelError) as error:
        _send(smsru_url, "+79990000999", timeout=0.3)
    assert error.value.permanent is False and "timed out" in str(error.value)
    assert time.monotonic() - started < 1.2


def test_an_answer_that_is_not_json_is_transient(smsru_url: str) -> None:
    with pytest.raises(ChannelError) as error:
        _send(smsru_url, "+79990000888")
    assert error.value.permanent is False


def test_an_unreachable_server_is_transient() -> None:
    with pytest.raises(ChannelError) as error:
        _send("http://127.0.0.1:9/sms/send", "+79120000001", timeout=0.5)
    assert error.value.permanent is False


def test_without_an_api_id_nothing_is_sent(smsru_url: str) -> None:
    with pytest.raises(ChannelError) as error:
        _send(smsru_url, "+79120000001", api_id="")
    assert error.value.permanent is True
    assert FakeSmsRu.requests == []


@pytest.mark.django_db
def test_the_outbox_delivers_through_smsru(
    smsru_url: str, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "sms": "abonent.messaging.channels.smsru.SmsRuTransport",
    }
    settings.SMSRU_API_ID = API_ID
    settings.SMSRU_API_URL = smsru_url
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(
            channel="sms",
            topic="security",
            recipient="+79120000001",
            body="Код 123456",
            idempotency_key="sms-1",
        )
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (OutboundMessage.Status.SENT, "000000-00000001")


@pytest.mark.django_db
def test_a_bad_number_fails_the_message_at_once(
    smsru_url: str, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "sms": "abonent.messaging.channels.smsru.SmsRuTransport",
    }
    settings.SMSRU_API_ID = API_ID
    settings.SMSRU_API_URL = smsru_url
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(
            channel="sms",
            topic="security",
            recipient="+79990000207",
            body="Код 123456",
            idempotency_key="sms-2",
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED and message.attempts == 1
    assert "207" in message.last_error
