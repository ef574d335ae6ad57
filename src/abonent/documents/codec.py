"""The archive's byte format: canonical JSON compressed by zstd with a dictionary trained per kind.

Canonical JSON (sorted keys, no spaces, UTF-8 as is) makes equal data equal bytes, so the SHA-256
identifies the data and a re-render can be checked against it. A trained dictionary holds what a
kind's documents share (the supplier's block, key names, service names, boilerplate notices), so
each document stores only what is its own: ~150 bytes for a bill instead of ~2.5 KB of JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import zstandard

# Measured on generated bills (bench/documents.py): level 15 with a 64 KB dictionary stores ~200 B per
# bill in ~0.4 ms; level 19 saves under 1 % for 4× the time, level 9 costs 10 % more bytes.
LEVEL = 15
DICT_SIZE = 64 * 1024
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # the frame carries no size (2 bytes a row); this bounds decompression
_local = threading.local()


def canonical_json(data: dict[str, Any]) -> bytes:
    """Return the data as canonical JSON bytes."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


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


def train(samples: list[bytes], *, size: int = DICT_SIZE) -> bytes:
    """Return a zstd dictionary trained on the samples (canonical JSON of one kind)."""
    # Fixed cover parameters: letting zstd search for them takes ~8× longer for the same size.
    return zstandard.train_dictionary(size, samples, k=1024, d=8).as_bytes()
