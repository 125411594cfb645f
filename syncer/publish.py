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
from syncer.fetch import Known, RepoData, Snapshot
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
    _forget_responses(session, [existing[rid].full_name for rid in [*gone, *renamed]])
    for rid in renamed:
        session.execute(update(Repository).where(Repository.id == rid).values(full_name=f"#renaming/{rid}"))

    stored_languages, stored_counts = _stored_details(session)
    new_rows, detail_changed = [], []
    for rid, data in snapshot.repos.items():
        repo = existing.get(rid)
        details_differ = (
            (data.languages is not None and data.languages != stored_languages.get(rid, {}))
            or (data.contributors is not None
                and {p["id"]: p["contributions"] for p in data.contributors} != stored_counts.get(rid, {}))
        )
        if details_differ:
            detail_changed.append(data)
        if repo is None:
            new_rows.append(data.row)
            changes.added += 1
            continue
        differing = {k: v for k, v in data.row.items() if getattr(repo, k) != v}
        if rid in renamed:
            differing["full_name"] = data.row["full_name"]
        if differing:
            session.execute(update(Repository).where(Repository.id == rid).values(differing))
        if differing or details_differ:
            changes.updated += 1
        else:
            changes.unchanged += 1
    for chunk in _chunks(new_rows):
        session.execute(insert(Repository), chunk)
    _save_contributors(session, snapshot)
    _replace_details(session, detail_changed)

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


def _forget_responses(session: Session, full_names: list[str]) -> None:
    """Stored GitHub responses of repositories that left or changed name will never be asked for again."""
    for name in full_names:
        session.execute(delete(HttpCacheEntry).where(HttpCacheEntry.url.contains(f"/repos/{name}/", autoescape=True)))


def _stored_details(session: Session) -> tuple[dict[int, dict[str, int]], dict[int, dict[int, int]]]:
    """Published language bytes and contribution counts, by repository id."""
    languages: dict[int, dict[str, int]] = defaultdict(dict)
    for rid, name, size in session.execute(
        select(RepositoryLanguage.repository_id, Language.name, RepositoryLanguage.bytes)
        .join(Language, Language.id == RepositoryLanguage.language_id)
    ):
        languages[rid][name] = size
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, cid, count in session.execute(
        select(RepositoryContributor.repository_id, RepositoryContributor.contributor_id,
               RepositoryContributor.contributions)
    ):
        counts[rid][cid] = count
    return languages, counts


def _save_contributors(session: Session, snapshot: Snapshot) -> None:
    """Insert new contributors and update changed ones (login, avatar, ...) in batches."""
    seen: dict[int, dict[str, Any]] = {}
    for data in snapshot.repos.values():
        for person in data.contributors or ():
            seen[person["id"]] = {"id": person["id"], **{k: person[k] for k in CONTRIBUTOR_COLUMNS}}
    if not seen:
        return
    stored = {
        row.id: row for row in session.execute(
            select(Contributor.id, *(getattr(Contributor, k) for k in CONTRIBUTOR_COLUMNS))
        )
    }
    new = [p for cid, p in seen.items() if cid not in stored]
    changed = [p for cid, p in seen.items()
               if cid in stored and any(getattr(stored[cid], k) != p[k] for k in CONTRIBUTOR_COLUMNS)]
    for chunk in _chunks(new):
        session.execute(insert(Contributor), chunk)
    for chunk in _chunks(changed):
        session.execute(update(Contributor), chunk)


def _replace_details(session: Session, repos: list[RepoData]) -> None:
    """Replace the language and contributor rows of repositories whose details changed."""
    if not repos:
        return
    language_ids = dict(session.execute(select(Language.name, Language.id)).all())
    names = sorted({n for data in repos for n in data.languages or ()} - set(language_ids))
    if names:
        session.execute(insert(Language), [{"name": n} for n in names])
        language_ids = dict(session.execute(select(Language.name, Language.id)).all())
    with_languages = [d.row["id"] for d in repos if d.languages is not None]
    with_contributors = [d.row["id"] for d in repos if d.contributors is not None]
    for chunk in _chunks(with_languages):
        session.execute(delete(RepositoryLanguage).where(RepositoryLanguage.repository_id.in_(chunk)))
    for chunk in _chunks(with_contributors):
        session.execute(delete(RepositoryContributor).where(RepositoryContributor.repository_id.in_(chunk)))
    language_rows = [
        {"repository_id": d.row["id"], "language_id": language_ids[n], "bytes": b}
        for d in repos for n, b in (d.languages or {}).items()
    ]
    contributor_rows = [
        {"repository_id": d.row["id"], "contributor_id": p["id"], "contributions": p["contributions"]}
        for d in repos for p in {p["id"]: p for p in d.contributors or ()}.values()
    ]
    for chunk in _chunks(language_rows):
        session.execute(insert(RepositoryLanguage), chunk)
    for chunk in _chunks(contributor_rows):
        session.execute(insert(RepositoryContributor), chunk)


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

