"""Read an export file into rows of strings: encoding, delimiter and header found from the content.

Encodings. Billing exports come in a closed set: UTF-8 (with or without a BOM), Windows-1251 and
KOI8-R. We detect them ourselves rather than with charset-normalizer: UTF-8 is recognised exactly
(a strict decode of a real Cyrillic text almost never succeeds in another encoding), and the two
single-byte encodings are told apart by Russian letter frequencies, case-insensitively — an export in
capitals ("ИВАНОВ ИВАН") defeats the lower/upper-case heuristics general detectors lean on, and a
general detector on a short sample often answers "mac_cyrillic" or "cp1125". The frequency score is
deterministic and costs one pass over a 64 KB sample. Anything outside the set (no Cyrillic at all
and not UTF-8) goes to charset-normalizer as the fallback.

Rows. CSV is parsed by the csv module (C, handles quotes and embedded delimiters); a row with the
wrong number of fields is kept and reported, never dropped. XLSX goes through python-calamine (Rust),
several times faster than openpyxl's read-only mode; cell values become the strings a CSV would hold.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from abonent.integration.errors import UnreadableFile

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ";,\t|"
EXTRA = "__extra__"  # the spare column catching fields past the header
ROW_INDEX = "__row__"  # the record's position in the file, 0-based, for reports and resumption

# Relative frequencies of Russian letters (per cent, National Corpus); the rest share a small floor.
_RU_FREQ = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04, "ё": 0.04,
}  # fmt: skip
_LOG_FREQ = {letter: math.log(share) for letter, share in _RU_FREQ.items()}
_CANDIDATES = ("cp1251", "koi8_r")


@dataclass
class Table:
    """A file's rows as a frame of strings (one column per file column), with what was found about it.

    `extra` is true for a row with more fields than the header: it is kept and quarantined, never cut.
    A row with fewer fields reads as empty trailing fields, as spreadsheet programs treat it.
    """

    frame: pl.DataFrame
    encoding: str = ""
    delimiter: str = ""
    has_header: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [name for name in self.frame.columns if name not in (EXTRA, ROW_INDEX)]

    @property
    def first_line(self) -> int:
        return 2 if self.has_header else 1


def detect_encoding(raw: bytes) -> str:
    """Return the Python codec name of an export's text: utf-8-sig, utf-8, cp1251 or koi8_r."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    sample = raw[:SAMPLE_BYTES]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # the sample cut a multi-byte letter in two
            return "utf-8"
    scores = {codec: _russian_score(sample.decode(codec, errors="replace")) for codec in _CANDIDATES}
    best = max(scores, key=lambda codec: scores[codec])
    if scores[best] > -math.inf:
        return best
    return _fallback_encoding(sample)


def _russian_score(text: str) -> float:
    """Return the mean log-frequency of the Cyrillic letters in the text (higher = more Russian)."""
    total, count = 0.0, 0
    for char in text.lower():
        weight = _LOG_FREQ.get(char)
        if weight is not None:
            total += weight
            count += 1
    return total / count if count else -math.inf


def _fallback_encoding(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "cp1251"


def sniff_delimiter(text: str) -> str:
    """Return the delimiter of a CSV text: the one splitting the first lines into equal, most fields."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ";"
    best, best_key = ";", (-1.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        fields = max(counts)
        if fields < 2:
            continue
        agreement = counts.count(max(set(counts), key=counts.count)) / len(counts)
        key = (agreement, fields)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def looks_like_header(row: Sequence[str], known: set[str]) -> bool:
    """Return True when the first row names columns rather than holding data."""
    cells = [cell.strip().lower() for cell in row if cell.strip()]
    if not cells:
        return False
    if known and sum(cell in known for cell in cells) >= max(1, len(cells) // 3):
        return True
    numeric = sum(any(ch.isdigit() for ch in cell) for cell in cells)
    return numeric == 0


def read_csv_bytes(raw: bytes, *, known_columns: set[str], encoding: str = "", delimiter: str = "") -> Table:
    """Decode and parse a CSV export; the header is recognised unless the first row holds data."""
    encoding = encoding or detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(detail=str(exc)) from exc
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise UnreadableFile(detail="empty")
    delimiter = delimiter or sniff_delimiter(text[:SAMPLE_BYTES])
    first = next(csv.reader(io.StringIO(text[:SAMPLE_BYTES], newline=""), delimiter=delimiter))
    has_header = looks_like_header(first, known_columns)
    names = _column_names(first, has_header)
    # One spare column catches rows with more fields than the header (reported, never silently cut).
    schema = dict.fromkeys([*names, EXTRA], pl.String)
    try:
        frame = pl.read_csv(
            text.encode("utf-8") if encoding not in ("utf-8", "utf-8-sig") else raw,
            has_header=False,
            skip_rows=1 if has_header else 0,
            separator=delimiter,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
            empty_string_is_null=False,
            raise_if_empty=False,
            encoding="utf8",
        )
    except pl.exceptions.PolarsError as exc:
        raise UnreadableFile(detail=str(exc).splitlines()[0]) from exc
    frame = _tidy(frame)
    return Table(frame, encoding, delimiter, has_header)


def read_xlsx(path: Path, *, known_columns: set[str]) -> Table:
    """Read the first sheet of an XLSX/XLS/ODS workbook into strings."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=True)
    except Exception as exc:  # calamine raises its own error types for every kind of broken file
        raise UnreadableFile(detail=str(exc)) from exc
    rows = [[_cell_text(value) for value in row] for row in values]
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise UnreadableFile(detail="empty")
    has_header = looks_like_header(rows[0], known_columns)
    names = _column_names(rows[0], has_header)
    body = rows[1:] if has_header else rows
    width = len(names)
    columns: dict[str, list[str]] = {name: [] for name in names}
    extra: list[str] = []
    for row in body:
        padded = row + [""] * (width - len(row))
        for name, value in zip(names, padded, strict=False):
            columns[name].append(value)
        extra.append(";".join(c for c in row[width:] if c))
    frame = pl.DataFrame({**columns, EXTRA: extra}, schema=dict.fromkeys([*names, EXTRA], pl.String))
    return Table(_tidy(frame), "xlsx", "", has_header)


def read_file(path: Path, *, known_columns: set[str], encoding: str = "", delimiter: str = "") -> Table:
    """Read a CSV or a workbook (by its first bytes, not its name)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return read_xlsx(path, known_columns=known_columns)
    return read_csv_bytes(
        path.read_bytes(), known_columns=known_columns, encoding=encoding, delimiter=delimiter
    )


def _column_names(first: Sequence[str], has_header: bool) -> list[str]:
    if not has_header:
        return [str(i + 1) for i in range(len(first))]
    names: list[str] = []
    for index, cell in enumerate(first):
        name = cell.strip() or str(index + 1)
        while name in names or name == EXTRA:
            name += "_"
        names.append(name)
    return names


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop wholly empty rows (trailing blank lines) and mark rows that had extra fields."""
    data = [c for c in frame.columns if c != EXTRA]
    frame = frame.with_columns(
        pl.col(EXTRA).fill_null("").alias(EXTRA), *(pl.col(c).fill_null("") for c in data)
    )
    blank = pl.all_horizontal([pl.col(c).str.strip_chars() == "" for c in [*data, EXTRA]])
    return frame.with_row_index(ROW_INDEX).filter(~blank)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.strftime("%d.%m.%Y %H:%M")
            if value.time() != datetime.min.time()
            else value.strftime("%d.%m.%Y")
        )
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
