"""Render a document's data with a Typst template into PDF or a PNG of its first page.

Deterministic by construction: fonts come only from the project's font folders (never the machine's
other fonts), the PDF's creation date is the document's own issue date, and nothing else varies, so
rendering archived data again gives the same bytes. Data goes in as JSON through `sys.inputs.data`;
a bill's payment QR code is encoded here (zxing-cpp's writer, zint in C) from `qr_payload` and handed
over as an SVG in `sys.inputs.qr`, so templates never build the payload themselves.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import threading
import zlib
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

    Encoded by zint in C through zxing-cpp (~1.7 ms for a ~450-byte payload, almost all of it zint
    choosing the best of the 8 masks; segno, pure Python, took 10–20 ms). The SVG holds the code as
    a PNG of one pixel per module, drawn without smoothing: Typst embeds it as a ~1 KB image whose
    pixels are the modules, so print houses get sharp modules at any resolution (PDF's /Interpolate
    is false). It replaced one SVG path of ~1,700 stroked runs: building the path in Python (~1.3 ms)
    and Typst parsing and converting it (~1.5 ms) were a sixth of rendering an unseen bill. Cached
    by payload: the cabinet renders the same bill as PNG and PDF.
    """
    codec = {"1": "cp1251", "2": "utf-8", "3": "koi8_r"}.get(payload[6:7], "utf-8")
    # Bytes (not text) make zint use byte mode without an ECI header, as GOST R 56042 expects.
    code = zxingcpp.create_barcode(payload.encode(codec), zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=True)
    height, width = image.shape
    png = _grey_png(memoryview(image).tobytes(), width, height)  # type: ignore[arg-type]  # a buffer
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
        f'<image width="{width}" height="{height}" image-rendering="optimizeSpeed" '
        f'href="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/></svg>'
    )


def _grey_png(pixels: bytes, width: int, height: int) -> bytes:
    """Return an 8-bit greyscale PNG of the pixels (rows of `width` bytes), no filter."""
    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    # Level 1: runs of 0/255 bytes cost zlib's default level 0.65 ms for 25 % fewer bytes, level 1 0.05 ms.
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


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
