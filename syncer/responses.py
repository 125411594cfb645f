"""GitHub responses kept in the database as they arrive, for conditional requests and for the publish.

Each response is saved in its own small transaction the moment it is received (never touching
the published tables), so a run stopped by a rate limit, a crash or SIGKILL keeps everything it
paid for: the next run asks again with `If-None-Match` and a 304 costs nothing. Entries are keyed
by a hash of the token fingerprint and the URL (never the token), and tagged with the repository
or owner they belong to so that entries of what is gone can be pruned.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, not_, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.db import backend
from shared.models import HttpCacheEntry, Repository
from syncer.chunks import chunked


@dataclass(frozen=True)
class Tag:
    """What a response is about, for pruning: a repository (by GitHub id) or an owner (by login)."""

    repository_id: int | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Stored:
    """What is known of a stored response without reading its body."""

    etag: str | None
    next_url: str | None
    repository_id: int | None = None


class ResponseStore:
    """The stored responses of one token fingerprint in one database; thread-safe."""

    def __init__(self, engine: Engine, fingerprint: str):
        self.engine = engine
        self.fingerprint = fingerprint
        self._lock = threading.Lock()
        # Saves are single-row upserts from several threads: READ COMMITTED takes no gap locks on
        # InnoDB, so two of them never deadlock.
        self._writer = engine if backend(engine.url) == "sqlite" else engine.execution_options(
            isolation_level="READ COMMITTED")
        self._upsert = _UPSERTS[backend(engine.url)]
        with engine.connect() as connection:
            rows = connection.execute(
                select(HttpCacheEntry.key, HttpCacheEntry.etag, HttpCacheEntry.next_url, HttpCacheEntry.repository_id)
                .where(HttpCacheEntry.fingerprint == fingerprint)
            )
            self._known = {key: Stored(etag, next_url, rid) for key, etag, next_url, rid in rows}

    def key(self, url: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}\n{url}".encode()).hexdigest()

    def stored(self, url: str) -> Stored | None:
        with self._lock:
            return self._known.get(self.key(url))

    def etag(self, url: str) -> str | None:
        entry = self.stored(url)
        return entry.etag if entry else None

    def save(self, url: str, etag: str | None, body: str, next_url: str | None, tag: Tag | None) -> None:
        """Keep one response (replacing an older one of the same URL), committed at once."""
        key = self.key(url)
        row = {
            "key": key, "url": url, "etag": etag, "status": 200, "body": body, "next_url": next_url,
            "fetched_at": utcnow(), "fingerprint": self.fingerprint,
            "repository_id": tag.repository_id if tag else None, "owner_login": tag.owner.lower() if tag and tag.owner else None,
        }
        with self._writer.begin() as connection:
            connection.execute(self._upsert(row))
        with self._lock:
            self._known[key] = Stored(etag, next_url, row["repository_id"])

    def retag(self, url: str, tag: Tag) -> None:
        """A stored response now asked for by another repository (two swapped names): it is that one's."""
        key = self.key(url)
        with self._writer.begin() as connection:
            connection.execute(update(HttpCacheEntry).where(HttpCacheEntry.key == key).values(
                repository_id=tag.repository_id, owner_login=tag.owner.lower() if tag.owner else None))
        with self._lock:
            known = self._known[key]
            self._known[key] = Stored(known.etag, known.next_url, tag.repository_id)

    def body(self, url: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(HttpCacheEntry.body).where(HttpCacheEntry.key == self.key(url)))

    def bodies(self, session: Session, urls: Iterable[str]) -> dict[str, str]:
        """The stored bodies of `urls` (read in chunks inside the caller's transaction)."""
        by_key = {self.key(url): url for url in urls}
        found: dict[str, str] = {}
        for chunk in chunked(list(by_key)):
            for key, body in session.execute(
                select(HttpCacheEntry.key, HttpCacheEntry.body).where(HttpCacheEntry.key.in_(chunk))
            ):
                found[by_key[key]] = body
        return found


def _upsert_sqlite(row: dict):
    statement = sqlite.insert(HttpCacheEntry).values(row)
    return statement.on_conflict_do_update(index_elements=["key"], set_={k: statement.excluded[k] for k in row})


def _upsert_postgresql(row: dict):
    statement = postgresql.insert(HttpCacheEntry).values(row)
    return statement.on_conflict_do_update(index_elements=["key"], set_={k: statement.excluded[k] for k in row})


def _upsert_mysql(row: dict):
    statement = mysql.insert(HttpCacheEntry).values(row)
    return statement.on_duplicate_key_update({k: statement.inserted[k] for k in row if k != "key"})


_UPSERTS = {"sqlite": _upsert_sqlite, "postgresql": _upsert_postgresql, "mysql": _upsert_mysql}


def forget_repositories(session: Session, gone: list[int], old_names: dict[int, str]) -> None:
    """Stored responses of repositories that left, and those under the old name of renamed ones,
    will never be asked for again."""
    for chunk in chunked(gone):
        session.execute(delete(HttpCacheEntry).where(HttpCacheEntry.repository_id.in_(chunk)))
    for repository_id, full_name in old_names.items():
        session.execute(delete(HttpCacheEntry).where(
            HttpCacheEntry.repository_id == repository_id,
            HttpCacheEntry.url.contains(f"/repos/{full_name}/", autoescape=True),
        ))


def prune_responses(session: Session, fingerprint: str, owners: Iterable[str]) -> None:
    """After a complete run: forget responses of another token, of owners no longer mirrored, and of
    repositories that are not published (gone, or private and not included)."""
    logins = sorted({owner.lower() for owner in owners})
    published = select(Repository.id).where(Repository.id == HttpCacheEntry.repository_id).exists()
    session.execute(
        delete(HttpCacheEntry).where(
            or_(
                HttpCacheEntry.fingerprint.is_(None),
                HttpCacheEntry.fingerprint != fingerprint,
                and_(HttpCacheEntry.owner_login.is_not(None), HttpCacheEntry.owner_login.not_in(logins)),
                and_(HttpCacheEntry.repository_id.is_not(None), not_(published)),
            )
        ).execution_options(synchronize_session=False)
    )
