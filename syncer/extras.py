"""Curated extras (demo links, videos, featured/hidden, order, description) from and to TOML.

The file has one table per `"owner/name"`. Everything is validated before anything is written;
then the whole file is written in one transaction. A sync never touches these rows.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select

from shared.clock import utcnow
from shared.db import transaction
from shared.generation import record_publish
from shared.limits import MAX_DESCRIPTION, MAX_URL
from shared.models import Repository, RepositoryExtra

MAX_FILE_BYTES = 5 * 1024 * 1024
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
FIELDS = ("demo_url", "video_urls", "featured", "hidden", "order", "description")


class ExtrasError(ValueError):
    """The extras file is wrong; the message names the entry and the field."""


@dataclass(frozen=True)
class Extra:
    """One validated entry."""

    full_name: str
    demo_url: str | None = None
    video_urls: tuple[str, ...] = ()
    featured: bool = False
    hidden: bool = False
    order: int | None = None
    description: str | None = None


@dataclass
class ImportResult:
    written: int = 0
    removed: int = 0
    unknown: list[str] = field(default_factory=list)  # entries for repositories not synced yet
    generation: int = 0


def parse_extras(raw: bytes) -> list[Extra]:
    """Validate a whole extras file; raises ExtrasError on the first problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise ExtrasError(f"the file is {len(raw)} bytes; extras files may be at most {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExtrasError(f"the file is not valid UTF-8 (byte {error.start})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExtrasError(f"the file is not valid TOML: {error}") from None
    seen: dict[str, str] = {}
    extras = []
    for key, table in document.items():
        if not KEY.match(key):
            raise ExtrasError(f'entry "{key}": the key must be "owner/name" of a GitHub repository')
        if key.lower() in seen:
            raise ExtrasError(f'entry "{key}": the same repository as entry "{seen[key.lower()]}"')
        seen[key.lower()] = key
        if not isinstance(table, dict):
            raise ExtrasError(f'entry "{key}": expected a table like [\"{key}\"] with fields {", ".join(FIELDS)}')
        extras.append(_parse_entry(key, table))
    return extras


def _parse_entry(key: str, table: dict[str, Any]) -> Extra:
    def fail(name: str, expected: str) -> ExtrasError:
        return ExtrasError(f'entry "{key}", field "{name}": expected {expected}, got {table[name]!r:.80}')

    for name in table:
        if name not in FIELDS:
            raise ExtrasError(f'entry "{key}": unknown field "{name}" (allowed: {", ".join(FIELDS)})')
    values: dict[str, Any] = {}
    if "demo_url" in table:
        if not _is_url(table["demo_url"]):
            raise fail("demo_url", "an http(s) URL")
        values["demo_url"] = table["demo_url"]
    if "video_urls" in table:
        urls = table["video_urls"]
        if not isinstance(urls, list) or not all(_is_url(u) for u in urls):
            raise fail("video_urls", "a list of http(s) URLs")
        values["video_urls"] = tuple(urls)
    for flag in ("featured", "hidden"):
        if flag in table:
            if not isinstance(table[flag], bool):
                raise fail(flag, "true or false")
            values[flag] = table[flag]
    if "order" in table:
        order = table["order"]
        if not isinstance(order, int) or isinstance(order, bool) or not -(10**9) <= order <= 10**9:
            raise fail("order", "an integer between -1000000000 and 1000000000")
        values["order"] = order
    if "description" in table:
        text = table["description"]
        if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
            raise fail("description", f"a string of at most {MAX_DESCRIPTION} characters")
        values["description"] = text
    return Extra(full_name=key, **values)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_URL and bool(URL.match(value))


def import_extras(engine: Engine, extras: list[Extra], *, replace: bool = False) -> ImportResult:
    """Write validated extras in one transaction; `replace` also removes entries not in the file."""
    result = ImportResult()
    now = utcnow()
    with transaction(engine) as session:
        repo_ids = {name.lower(): rid for rid, name in session.execute(select(Repository.id, Repository.full_name))}
        rows = list(session.scalars(select(RepositoryExtra)))
        by_id = {r.repository_id: r for r in rows if r.repository_id is not None}
        by_name = {r.full_name.lower(): r for r in rows}
        kept: set[int] = set()
        changed = False
        for extra in extras:
            rid = repo_ids.get(extra.full_name.lower())
            if rid is None:
                result.unknown.append(extra.full_name)
            row = by_id.get(rid) if rid is not None else None
            row = row or by_name.get(extra.full_name.lower())
            if row is None:
                row = RepositoryExtra(full_name=extra.full_name, repository_id=rid, updated_at=now)
                session.add(row)
                rows.append(row)
            if row.repository_id is None and rid is not None and rid not in by_id:
                row.repository_id = rid
            changed |= _apply(row, extra, now)
            session.flush()
            kept.add(row.id)
            result.written += 1
        if replace:
            stale = [r.id for r in rows if r.id not in kept]
            if stale:
                session.execute(delete(RepositoryExtra).where(RepositoryExtra.id.in_(stale)))
                result.removed = len(stale)
                changed = True
        result.generation = record_publish(session, now, changed=changed)
    return result


def _apply(row: RepositoryExtra, extra: Extra, now: datetime) -> bool:
    wanted = {
        "full_name": extra.full_name,
        "demo_url": extra.demo_url,
        "video_urls": list(extra.video_urls),
        "featured": extra.featured,
        "hidden": extra.hidden,
        "sort_order": extra.order,
        "description": extra.description,
    }
    differing = {k: v for k, v in wanted.items() if getattr(row, k) != v}
    for name, value in differing.items():
        setattr(row, name, value)
    if differing:
        row.updated_at = now
    return bool(differing)


def export_extras(engine: Engine) -> str:
    """The current extras as a TOML document, keyed by each repository's current name."""
    with transaction(engine) as session:
        names = dict(session.execute(select(Repository.id, Repository.full_name)).all())
        rows = session.scalars(select(RepositoryExtra)).all()
    entries = sorted(
        ((names.get(r.repository_id, r.full_name), r) for r in rows),
        key=lambda item: (item[1].sort_order is None, item[1].sort_order or 0, item[0].lower()),
    )
    blocks = ["# Curated extras for the portfolio: one table per GitHub repository.\n"]
    for name, row in entries:
        lines = [f"[{_toml_string(name)}]"]
        if row.demo_url is not None:
            lines.append(f"demo_url = {_toml_string(row.demo_url)}")
        if row.video_urls:
            lines.append("video_urls = [" + ", ".join(_toml_string(u) for u in row.video_urls) + "]")
        if row.featured:
            lines.append("featured = true")
        if row.hidden:
            lines.append("hidden = true")
        if row.sort_order is not None:
            lines.append(f"order = {row.sort_order}")
        if row.description is not None:
            lines.append(f"description = {_toml_string(row.description)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL and other controls are escaped too)."""
    out = []
    for char in value:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\u{code:04x}"))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
