"""Write a fetched snapshot as the new published dataset, inside the caller's one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from collections import defaultdict
from typing import Any


from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shared.models import (
    Contributor,
    DatasetState,
    HttpCacheEntry,
    Language,
    Repository,
    RepositoryContributor,
    RepositoryExtra,
    RepositoryLanguage,
)
from syncer.fetch import Known, Snapshot
from syncer.github import ResponseCache

log = logging.getLogger(__name__)

REPO_COLUMNS = [c.key for c in Repository.__table__.columns]
CONTRIBUTOR_COLUMNS = ("login", "avatar_url", "html_url", "type")
CHUNK = 500


@dataclass
class Changes:
    """What publishing changed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    generation: int = 0


def load_known(session: Session) -> dict[int, Known]:
    """What the published dataset holds, for deciding which repositories need fetching again."""
    return {rid: Known(pushed_at) for rid, pushed_at in session.execute(select(Repository.id, Repository.pushed_at))}


def publish_snapshot(
    session: Session, snapshot: Snapshot, *, scope_owners: tuple[str, ...] | None, now: datetime
) -> Changes:
    """Make `snapshot` the published dataset; bump the generation only if something changed.

    `scope_owners` limits removals to those owners' repositories (a partial `--owner` run);
    None means the snapshot is the whole truth and every other repository goes.
    """
    changes = Changes()
    existing = {r.id: r for r in session.scalars(select(Repository))}

    # Removals first, so a new repository may take the name of a removed one.
    scope = None if scope_owners is None else {o.lower() for o in scope_owners}
    gone = [
        rid for rid, repo in existing.items()
        if rid not in snapshot.repos and rid not in snapshot.skipped_ids
        and (scope is None or repo.owner_login.lower() in scope)
    ]
    for chunk in _chunks(gone):
        session.execute(delete(RepositoryLanguage).where(RepositoryLanguage.repository_id.in_(chunk)))
        session.execute(delete(RepositoryContributor).where(RepositoryContributor.repository_id.in_(chunk)))
        session.execute(delete(Repository).where(Repository.id.in_(chunk)))
    changes.removed = len(gone)

    # A rename can free a name another repository takes in the same run: park renamed rows first.
    renamed = [rid for rid, data in snapshot.repos.items()
               if rid in existing and existing[rid].full_name != data.row["full_name"]]
    for rid in renamed:
        session.execute(update(Repository).where(Repository.id == rid).values(full_name=f"#renaming/{rid}"))

    language_ids = dict(session.execute(select(Language.name, Language.id)).all())
    contributors = {c.id: c for c in session.scalars(select(Contributor))}
    stored_languages: dict[int, dict[str, int]] = defaultdict(dict)
    for rid, name, size in session.execute(
        select(RepositoryLanguage.repository_id, Language.name, RepositoryLanguage.bytes)
        .join(Language, Language.id == RepositoryLanguage.language_id)
    ):
        stored_languages[rid][name] = size
    stored_counts: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, cid, count in session.execute(
        select(RepositoryContributor.repository_id, RepositoryContributor.contributor_id,
               RepositoryContributor.contributions)
    ):
        stored_counts[rid][cid] = count
    for rid, data in snapshot.repos.items():
        repo = existing.get(rid)
        if repo is None:
            session.execute(insert(Repository).values(data.row))
            changes.added += 1
            row_changed = True
        else:
            differing = {k: v for k, v in data.row.items() if getattr(repo, k) != v}
            if rid in renamed:
                differing["full_name"] = data.row["full_name"]
            if differing:
                session.execute(update(Repository).where(Repository.id == rid).values(differing))
            row_changed = bool(differing)
        details_changed = False
        if data.languages is not None:
            details_changed |= _replace_languages(session, rid, data.languages, stored_languages[rid], language_ids)
        if data.contributors is not None:
            details_changed |= _replace_contributors(session, rid, data.contributors, stored_counts[rid], contributors)
        if repo is not None:
            if row_changed or details_changed:
                changes.updated += 1
            else:
                changes.unchanged += 1

    _drop_orphans(session)
    _attach_extras(session)
    state = session.get(DatasetState, 1, with_for_update=True)
    if changes.added or changes.updated or changes.removed:
        state.generation += 1
        state.changed_at = now
    state.synced_at = now
    changes.generation = state.generation
    return changes


def save_responses(session: Session, cache: ResponseCache, now: datetime) -> None:
    """Persist the responses this run received with an ETag (for conditional requests next time)."""
    keys = list(cache.fresh)
    for chunk in _chunks(keys):
        session.execute(delete(HttpCacheEntry).where(HttpCacheEntry.key.in_(chunk)))
    rows = [
        {"key": key, "url": url, "etag": entry.etag, "status": 200, "body": entry.body,
         "next_url": entry.next_url, "fetched_at": now}
        for key, (url, entry) in cache.fresh.items()
    ]
    for chunk in _chunks(rows):
        session.execute(insert(HttpCacheEntry), chunk)


def _replace_languages(
    session: Session, rid: int, languages: dict[str, int], current: dict[str, int], ids: dict[str, int]
) -> bool:
    if current == languages:
        return False
    for name in languages:
        if name not in ids:
            ids[name] = session.execute(insert(Language).values(name=name)).inserted_primary_key[0]
    session.execute(delete(RepositoryLanguage).where(RepositoryLanguage.repository_id == rid))
    if languages:
        session.execute(
            insert(RepositoryLanguage),
            [{"repository_id": rid, "language_id": ids[n], "bytes": b} for n, b in languages.items()],
        )
    return True


def _replace_contributors(
    session: Session, rid: int, people: list[dict[str, Any]], current: dict[int, int], known: dict[int, Contributor]
) -> bool:
    changed = False
    for person in people:
        stored = known.get(person["id"])
        fields = {k: person[k] for k in CONTRIBUTOR_COLUMNS}
        if stored is None:
            session.execute(insert(Contributor).values(id=person["id"], **fields))
            known[person["id"]] = Contributor(id=person["id"], **fields)
            changed = True
        elif any(getattr(stored, k) != v for k, v in fields.items()):
            session.execute(update(Contributor).where(Contributor.id == person["id"]).values(fields))
            for k, v in fields.items():
                setattr(stored, k, v)
            changed = True
    counts = {p["id"]: p["contributions"] for p in people}
    if current == counts:
        return changed
    session.execute(delete(RepositoryContributor).where(RepositoryContributor.repository_id == rid))
    if counts:
        session.execute(
            insert(RepositoryContributor),
            [{"repository_id": rid, "contributor_id": cid, "contributions": n} for cid, n in counts.items()],
        )
    return True


def _drop_orphans(session: Session) -> None:
    """Languages and contributors no longer referenced by any repository leave too."""
    session.execute(
        delete(Language).where(~select(RepositoryLanguage.language_id)
                               .where(RepositoryLanguage.language_id == Language.id).exists())
    )
    session.execute(
        delete(Contributor).where(~select(RepositoryContributor.contributor_id)
                                  .where(RepositoryContributor.contributor_id == Contributor.id).exists())
    )


def _attach_extras(session: Session) -> None:
    """Give curated entries written for a name the id of the repository that now has it."""
    pending = session.scalars(select(RepositoryExtra).where(RepositoryExtra.repository_id.is_(None))).all()
    if not pending:
        return
    by_name = {
        name.lower(): rid
        for rid, name in session.execute(select(Repository.id, Repository.full_name))
    }
    taken = set(session.scalars(select(RepositoryExtra.repository_id).where(RepositoryExtra.repository_id.is_not(None))))
    for extra in pending:
        rid = by_name.get(extra.full_name.lower())
        if rid is not None and rid not in taken:
            extra.repository_id = rid
            taken.add(rid)
    session.flush()


def _chunks(items: list) -> list[list]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]

