"""Render a document's data with a Typst template into PDF or a PNG of its first page.

Deterministic by construction: fonts come only from the project's font folders (never the machine's
other fonts), the PDF's creation date is the document's own issue date, and nothing else varies, so
rendering archived data again gives the same bytes. Data goes in as JSON through `sys.inputs.data`;
a bill's payment QR code is encoded here (zxing-cpp's writer, zint in C) from `qr_payload` and handed
over as a one-path SVG in `sys.inputs.qr`, so templates never build the payload themselves.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import typst
import zxingcpp
from django.conf import settings
from django.utils.translation import gettext

from abonent.documents.errors import TemplateCompileError

TEMPLATES_DIR = Path(__file__).resolve().parent / "typst"
PREVIEW_PPI = 96
QR_DARK = re.compile(rb"[\x00-\x7f]+")  # runs of dark modules in a row of 8-bit grey pixels
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


@lru_cache(maxsize=512)
def qr_svg(payload: str) -> str:
    """Return the GOST R 56042 payment code as SVG; the payload's own flag names its byte encoding.

    Encoded by zint in C through zxing-cpp (~1–2 ms for a ~400-byte payload; segno, pure Python, took
    10–20 ms for the same code even with a fixed mask). The SVG is one path of stroked horizontal runs
    (~12 KB), vector in the PDF so that print houses get sharp modules at any resolution. Cached by
    payload: the cabinet renders the same bill as PNG and PDF, and customers reopen their newest bill.
    """
    codec = {"1": "cp1251", "2": "utf-8", "3": "koi8_r"}.get(payload[6:7], "utf-8")
    # Bytes (not text) make zint use byte mode without an ECI header, as GOST R 56042 expects.
    code = zxingcpp.create_barcode(payload.encode(codec), zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=True)
    height, width = image.shape
    pixels = memoryview(image).tobytes()  # type: ignore[arg-type]  # zxingcpp.Image is a buffer
    runs: list[str] = []
    for y in range(height):
        row = y * width  # finditer's positions are offsets into all pixels: x = offset - row
        # A run is one stroked horizontal segment through the middle of its row of modules: half
        # the path commands of filled rectangles, which Typst parses and converts on every render.
        runs.extend(
            f"M{run.start() - row} {y}.5h{run.end() - run.start()}"
            for run in QR_DARK.finditer(pixels, row, row + width)
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
        f'<path stroke="#000" d="{"".join(runs)}"/></svg>'
    )


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
