"""The archive's byte format: canonical JSON compressed by zstd with a dictionary trained per kind.

Canonical JSON (sorted keys, no spaces, UTF-8 as is) makes equal data equal bytes, so the SHA-256
identifies the data and a re-render can be checked against it. A trained dictionary holds what a
kind's documents share (the supplier's block, key names, service names, boilerplate notices), so
each document stores only what is its own.

Before compression a document whose keys match a known shape (the bill's contract, schema 1) is
packed positionally: its values in sorted-key order as a JSON array behind a one-byte shape marker,
no key names. Unpacking rebuilds the dict and its canonical JSON, byte for byte (packing checks that
before it is trusted), so the SHA-256 and the contract are untouched. It saves ~20 B a bill after
compression: the names are cheap for the dictionary, but not free. Anything else (another kind, a
new schema, an extra key) is stored as canonical JSON, which starts with `{`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from typing import Any

import zstandard

# Measured on 12,000 generated bills, packed (bench/documents.py): level 15 with a 128 KB dictionary
# stores ~181 B a bill in ~0.2 ms (64 KB: 184 B; canonical JSON instead of packed: 198 B); level 19
# saves under 1 % for 4× the time, level 9 costs 12 % more bytes.
LEVEL = 15
DICT_SIZE = 128 * 1024
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # the frame carries no size (2 bytes a row); this bounds decompression
_local = threading.local()


def canonical_json(data: dict[str, Any]) -> bytes:
    """Return the data as canonical JSON bytes."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# A shape: a dict's sorted (key, shape) pairs, a list's item shape in a 1-tuple, or None for a scalar.
Shape = tuple[Any, ...] | None
_TEXT, _LIST_OF = None, "[]"


def _dict(**fields: Shape) -> Shape:
    return tuple(sorted(fields.items()))


def _list(item: Shape) -> Shape:
    return (_LIST_OF, item)


# The bill's contract, schema 1 (docs/architecture.md, "bill payload").
BILL_V1: Shape = _dict(
    kind=_TEXT, schema=_TEXT, number=_TEXT, period=_TEXT, issued_on=_TEXT, due_date=_TEXT,
    supplier=_dict(name=_TEXT, inn=_TEXT, kpp=_TEXT, address=_TEXT, phone=_TEXT,
                   bank=_dict(name=_TEXT, bik=_TEXT, account=_TEXT, correspondent_account=_TEXT)),
    payer=_dict(name=_TEXT, account_number=_TEXT, address=_TEXT, kind=_TEXT),
    totals=_dict(opening_balance=_TEXT, charged=_TEXT, recalculated=_TEXT, benefits=_TEXT, paid=_TEXT,
                 penalties=_TEXT, due=_TEXT),
    lines=_list(_dict(service=_TEXT, unit=_TEXT, zone=_TEXT, volume=_TEXT, tariff=_TEXT, charged=_TEXT,
                      recalculated=_TEXT, benefits=_TEXT, total=_TEXT, basis=_TEXT)),
    readings=_list(_dict(meter=_TEXT, zone=_TEXT, previous=_TEXT, current=_TEXT, volume=_TEXT)),
    penalty_lines=_list(_dict(period=_TEXT, debt=_TEXT, days=_TEXT, rate_share=_TEXT, key_rate=_TEXT,
                              amount=_TEXT)),
    notices=_list(_TEXT), qr_payload=_TEXT,
)  # fmt: skip
# Marker byte → shape; a marker is never reused for another shape (archived rows name it forever).
SHAPES: dict[int, Shape] = {1: BILL_V1}
_MARKERS: dict[tuple[Any, Any], int] = {("bill", 1): 1}


class _Mismatch(Exception):
    """The data does not have the shape: store it as canonical JSON instead."""


def _values(value: Any, shape: Shape) -> Any:
    if shape is None:
        if isinstance(value, dict | list):
            raise _Mismatch
        return value
    if shape[0] == _LIST_OF:
        if not isinstance(value, list):
            raise _Mismatch
        return [_values(item, shape[1]) for item in value]
    if not isinstance(value, dict) or len(value) != len(shape):
        raise _Mismatch
    try:
        return [_values(value[key], sub) for key, sub in shape]
    except KeyError as exc:
        raise _Mismatch from exc


def _rebuild(values: Any, shape: Shape) -> Any:
    if shape is None:
        return values
    if shape[0] == _LIST_OF:
        return [_rebuild(item, shape[1]) for item in values]
    return {key: _rebuild(value, sub) for (key, sub), value in zip(shape, values, strict=True)}


def pack(data: dict[str, Any], raw: bytes | None = None) -> bytes:
    """Return what is compressed for the data: its packed values, or its canonical JSON (`raw`)."""
    raw = raw if raw is not None else canonical_json(data)
    marker = _MARKERS.get((data.get("kind"), data.get("schema")))
    if marker is None:
        return raw
    try:
        packed = bytes((marker,)) + json.dumps(
            _values(data, SHAPES[marker]), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except _Mismatch:
        return raw
    # Trust the packed form only when it gives back the very bytes the SHA-256 is taken of.
    return packed if unpack(packed) == raw else raw


def unpack(stored: bytes) -> bytes:
    """Return the canonical JSON of what `pack` returned."""
    if not stored or stored[:1] == b"{":
        return stored
    shape = SHAPES.get(stored[0])
    if shape is None:
        raise ValueError(f"unknown packed shape {stored[0]}")
    return canonical_json(_rebuild(json.loads(stored[1:]), shape))


def sha256(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def _cache(name: str) -> dict[bytes, Any]:
    cached = getattr(_local, name, None)
    if cached is None:
        cached = {}
        setattr(_local, name, cached)
    return cached


def dictionary_key(dictionary: bytes | None) -> bytes:
    """Return a dictionary's cache key: its content's digest (ids are reused after rollbacks)."""
    return hashlib.blake2b(dictionary, digest_size=16).digest() if dictionary else b""


def compressor(*, key: bytes, dictionary: bytes | None) -> zstandard.ZstdCompressor:
    """Return this thread's compressor for a dictionary (zstd contexts are not thread-safe)."""
    cached = _cache("compressors")
    if key not in cached:
        zdict = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        # No frame header extras: the SHA-256 checks the content and the row names the dictionary.
        cached[key] = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=zdict, write_checksum=False, write_content_size=False, write_dict_id=False
        )
    return cached[key]


def decompressor(*, key: bytes, dictionary: bytes | None) -> zstandard.ZstdDecompressor:
    cached = _cache("decompressors")
    if key not in cached:
        zdict = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        cached[key] = zstandard.ZstdDecompressor(dict_data=zdict)
    return cached[key]


def compress(raw: bytes, *, key: bytes, dictionary: bytes | None) -> bytes:
    return compressor(key=key, dictionary=dictionary).compress(raw)


def decompress(blob: bytes, *, key: bytes, dictionary: bytes | None) -> bytes:
    return decompressor(key=key, dictionary=dictionary).decompress(blob, max_output_size=MAX_DOCUMENT_BYTES)


def train(samples: Sequence[bytes], *, size: int = DICT_SIZE) -> bytes:
    """Return a zstd dictionary trained on the samples (what `pack` returned for documents of one kind)."""
    # Fixed cover parameters: letting zstd search for them takes ~8× longer for the same size.
    buffers: list[bytes | bytearray | memoryview] = list(samples)
    return zstandard.train_dictionary(size, buffers, k=1024, d=8).as_bytes()
