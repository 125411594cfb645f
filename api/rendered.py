"""A JSON answer serialized once, compressed once, with a strong ETag for each encoding."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

try:
    import brotli
except ImportError:  # the optional `brotli` extra: without it, answers are gzip or plain
    brotli = None

IDENTITY = "identity"
# Below this a compressed body saves less than its headers cost; it stays plain.
MIN_COMPRESSED_SIZE = 1024
# Quality 11 is ten times slower for 3 % fewer bytes on our bodies; both run once per generation.
BROTLI_QUALITY = 9
# A 64 KB window: below 17 bits Brotli takes its small-memory match finder (2 MB a call, not 12 MB;
# a flood of distinct queries raised each API worker's peak by 50 MB) for the same size on our bodies.
BROTLI_WINDOW_BITS = 16
GZIP_LEVEL = 9


def _compressors() -> dict[str, Any]:
    """Content codings by the server's preference, best first."""
    codings = {}
    if brotli is not None:
        codings["br"] = lambda body: brotli.compress(body, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW_BITS)
    codings["gzip"] = lambda body: gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return codings


COMPRESSORS = _compressors()


@dataclass(frozen=True)
class Encoded:
    """One encoding of a body and the strong ETag that names exactly these bytes."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class Rendered:
    """A serialized JSON body and its compressed forms, computed once.

    `last_modified` is when the published data behind it last changed; `links` are the
    paginated envelope's `next`/`prev` paths, for the Link header.
    """

    body: bytes
    etag: str
    encodings: Mapping[str, Encoded] = field(default_factory=lambda: MappingProxyType({}))
    last_modified: datetime | None = None
    links: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, document: Any, *, last_modified: datetime | None = None) -> Rendered:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        digest = hashlib.sha256(body).hexdigest()[:32]
        encodings = {}
        if len(body) >= MIN_COMPRESSED_SIZE:
            for coding, compress in COMPRESSORS.items():
                compressed = compress(body)
                if len(compressed) < len(body):
                    encodings[coding] = Encoded(compressed, f'"{digest}-{coding}"')
        return cls(body, f'"{digest}"', MappingProxyType(encodings), last_modified, pagination_links(document))

    def encoded(self, coding: str) -> Encoded:
        """The body in `coding` (IDENTITY, or one of `self.encodings`)."""
        return Encoded(self.body, self.etag) if coding == IDENTITY else self.encodings[coding]

    @property
    def size(self) -> int:
        """The bytes kept in memory for this answer, all encodings together."""
        return len(self.body) + sum(len(encoded.body) for encoded in self.encodings.values())


def pagination_links(document: Any) -> tuple[tuple[str, str], ...]:
    """The (rel, path) pairs of a paginated envelope's `next` and `prev`, in that order."""
    if not isinstance(document, dict):
        return ()
    return tuple((rel, document[rel]) for rel in ("next", "prev") if isinstance(document.get(rel), str))
