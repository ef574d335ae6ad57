"""Render a document's data with a Typst template into PDF or a PNG of its first page.

Deterministic by construction: fonts come only from the project's font folders (never the machine's
other fonts), the PDF's creation date is the document's own issue date, and nothing else varies, so
rendering archived data again gives the same bytes. Data goes in as JSON through `sys.inputs.data`;
a bill's payment QR code is drawn here with segno from `qr_payload` and handed over as SVG in
`sys.inputs.qr`, so templates never build the payload themselves.
"""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
import typst
from django.conf import settings
from django.utils.translation import gettext

from abonent.documents.errors import TemplateCompileError

TEMPLATES_DIR = Path(__file__).resolve().parent / "typst"
PREVIEW_PPI = 96
QR_MASK = 0
_LINE = re.compile(r"\.typ:(\d+):(\d+)")
_local = threading.local()


def font_paths() -> list[str]:
    """Return the font folders Typst may use (settings.DOCUMENT_FONT_DIRS; DejaVu from Debian by default)."""
    return [str(path) for path in settings.DOCUMENT_FONT_DIRS if Path(path).is_dir()]


@cache
def _fonts() -> typst.Fonts:
    # Loading the font files is the slow part of a first compile: once per process.
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=font_paths())


def _compiler() -> typst.Compiler:
    """Return this thread's compiler (it caches parsed sources and fonts between documents)."""
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = typst.Compiler(font_paths=_fonts(), ignore_system_fonts=True)
        _local.compiler = compiler
    return compiler


def shipped_source(slug: str) -> str:
    """Return the Typst source shipped with the project for a kind (its first published version)."""
    return (TEMPLATES_DIR / f"{slug}.typ").read_text(encoding="utf-8")


def qr_svg(payload: str) -> str:
    """Return the GOST R 56042 payment code as SVG; the payload's own flag names its byte encoding."""
    codec = {"1": "cp1251", "2": "utf-8", "3": "koi8_r"}.get(payload[6:7], "utf-8")
    buffer = io.BytesIO()
    # A fixed mask: choosing the best of eight costs segno ~3× the time of the whole Typst render, and
    # every mask gives a valid code (GOST R 56042 payloads of ~500 bytes decode alike, see the tests).
    code = segno.make(payload.encode(codec), error="m", micro=False, mask=QR_MASK)
    code.save(buffer, kind="svg", scale=4, border=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def _inputs(data: dict[str, Any], data_json: str | None) -> dict[str, str]:
    inputs = {"data": data_json if data_json is not None else json.dumps(data, ensure_ascii=False)}
    if data.get("qr_payload"):
        inputs["qr"] = qr_svg(data["qr_payload"])
    return inputs


def _timestamp(data: dict[str, Any]) -> datetime:
    """Return the PDF's creation date: the document's issue date, so a re-render is byte-identical."""
    day = str(data.get("issued_on") or data.get("signed_on") or "2000-01-01")
    try:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=UTC)


def render_pdf(*, source: str, data: dict[str, Any], data_json: str | None = None) -> bytes:
    """Return the PDF of the data laid out by the Typst source."""
    return _compile(source, data, data_json, fmt="pdf")


def render_png(*, source: str, data: dict[str, Any], ppi: float = PREVIEW_PPI) -> bytes:
    """Return a PNG of the first page."""
    return _compile(source, data, None, fmt="png", ppi=ppi)


def _compile(
    source: str, data: dict[str, Any], data_json: str | None, *, fmt: str, ppi: float | None = None
) -> bytes:
    try:
        output = _compiler().compile(
            input=source.encode("utf-8"),
            format=fmt,  # type: ignore[arg-type]  # "pdf" or "png", checked by the callers above
            ppi=ppi,
            sys_inputs=_inputs(data, data_json),
            timestamp=_timestamp(data),
        )
    except typst.TypstError as exc:
        raise compile_error(exc) from exc
    if isinstance(output, list):  # a PNG of a multi-page document: one image per page
        output = output[0]
    if not isinstance(output, bytes):
        raise TemplateCompileError(gettext("The template produced no output."))
    return output


def compile_error(exc: typst.TypstError) -> TemplateCompileError:
    """Turn Typst's diagnostic into our error with the line numbers it names."""
    diagnostic = getattr(exc, "diagnostic", "") or str(exc)
    lines = sorted({int(match.group(1)) for match in _LINE.finditer(diagnostic)})
    text = diagnostic.replace("__typst_py_bytes__.typ", "template")
    return TemplateCompileError(text.strip() or gettext("The template does not compile."), lines=lines)
