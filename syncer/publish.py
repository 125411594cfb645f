"""Write a fetched snapshot as the new published dataset, inside the caller's one transaction.

`publish_snapshot` runs these steps in order: remove what left, park renamed rows, upsert the
repositories, replace the details that changed, drop orphans, attach extras, record the publish
(the generation moves only when something changed). Statements over many rows run in chunks,
and the details are read back from the response store a chunk at a time, so memory does not
grow with the account.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shared.generation import record_publish
from shared.models import (
    Contributor,
    Language,
    Readme,
    Repository,
    RepositoryContributor,
    RepositoryExtra,
    RepositoryLanguage,
)
from syncer.chunks import chunked
from syncer.content import ContentFetch
from syncer.content_publish import ReadmeContent, clear_graphql_content, save_content, save_readmes
from syncer.errors import GitHubError
from syncer.fetch import Known, RepoData, Snapshot
from syncer.parse import parse_contributor, parse_languages
from syncer.readme import sanitize_readme
from syncer.responses import ResponseStore, forget_repositories

log = logging.getLogger(__name__)

CONTRIBUTOR_COLUMNS = ("login", "avatar_url", "html_url", "type")
DETAIL_CHUNK = 200  # repositories whose stored bodies are read back at once


@dataclass
class Changes:
    """What publishing changed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    people: int = 0  # contributors whose login, avatar, link or type changed
    content: bool = False  # profiles, pins, READMEs, releases, images or colours changed
    generation: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.people or self.content)


@dataclass(frozen=True)
class Published:
    owner: str
    full_name: str


def published_state(session: Session) -> dict[int, Known]:
    """What is published of every repository, to tell which ones need asking again."""
    missing = set(session.scalars(select(Readme.repository_id).where(Readme.reason == "missing")))
    return {
        rid: Known(pushed_at, full_name, status, rid in missing)
        for rid, pushed_at, full_name, status in session.execute(
            select(Repository.id, Repository.pushed_at, Repository.full_name, Repository.contributors_status))
    }


def publish_snapshot(session: Session, snapshot: Snapshot, store: ResponseStore, *, now: datetime,
                     content: ContentFetch | None = None) -> Changes:
    """Make `snapshot` (and the `content` fetched with it) the published dataset, as far as its plan reaches.

    A plan of `everything` is the whole truth: every other repository goes. Otherwise only the
    listed owners' repositories that GitHub no longer lists, and the targets that are gone, leave.
    """
    published = {
        rid: Published(owner, name)
        for rid, owner, name in session.execute(select(Repository.id, Repository.owner_login, Repository.full_name))
    }
    changes = Changes()
    gone = remove_gone(session, snapshot, published)
    renamed = park_renames(session, snapshot, published)
    forget_repositories(session, gone, {rid: published[rid].full_name for rid in renamed})
    added, updated = upsert_repositories(session, snapshot, published, renamed)
    with_details = [data for data in snapshot.repos.values() if data.details is not None]
    details_changed, changes.people = replace_details(session, store, with_details)
    drop_orphans(session)
    if content is not None:
        changes.content = publish_content(session, snapshot, store, content)
    attach_extras(session)

    changes.removed = len(gone)
    changes.added = len(added)
    changes.updated = len((updated | details_changed) - added)
    changes.unchanged = len(snapshot.repos) - changes.added - changes.updated
    changes.generation = record_publish(session, now, changed=changes.any, complete=snapshot.plan.full)
    return changes


def remove_gone(session: Session, snapshot: Snapshot, published: dict[int, Published]) -> list[int]:
    """Delete published repositories that are gone from GitHub's answer; first, so that a new
    repository may take a removed one's name."""
    plan = snapshot.plan
    listed = {owner.lower() for owner in plan.listed}
    gone = [
        rid for rid, repo in published.items()
        if rid not in snapshot.repos and rid not in snapshot.skipped_ids
        and (plan.everything or repo.owner.lower() in listed
             or rid in snapshot.gone_ids or repo.full_name.lower() in snapshot.gone_names)
    ]
    delete_repositories(session, gone)
    return gone


def delete_repositories(session: Session, ids: Sequence[int]) -> None:
    for table, column in ((RepositoryLanguage, RepositoryLanguage.repository_id),
                          (RepositoryContributor, RepositoryContributor.repository_id),
                          (Repository, Repository.id)):
        for chunk in chunked(ids):
            session.execute(delete(table).where(column.in_(chunk)))


def park_renames(session: Session, snapshot: Snapshot, published: dict[int, Published]) -> list[int]:
    """A rename can free a name another repository takes in the same run: renamed rows get a
    placeholder name until the upsert gives them their new one."""
    renamed = [rid for rid, data in snapshot.repos.items()
               if rid in published and published[rid].full_name != data.row["full_name"]]
    for rid in renamed:
        session.execute(update(Repository).where(Repository.id == rid).values(full_name=f"#renaming/{rid}"))
    return renamed


def upsert_repositories(session: Session, snapshot: Snapshot, published: dict[int, Published],
                        renamed: list[int]) -> tuple[set[int], set[int]]:
    """Insert new repositories and update the columns that differ; the ids added and updated."""
    added: set[int] = set()
    updated: set[int] = set()
    parked = set(renamed)
    for chunk in chunked(list(snapshot.repos.items())):
        rows = {rid: _row_of(data) for rid, data in chunk}
        stored = _stored_rows(session, [rid for rid in rows if rid in published])
        new_rows = []
        for rid, row in rows.items():
            if rid not in published:
                new_rows.append(row)
                added.add(rid)
                continue
            differing = {k: v for k, v in row.items() if stored[rid][k] != v}
            if rid in parked:
                differing["full_name"] = row["full_name"]
            if differing:
                session.execute(update(Repository).where(Repository.id == rid).values(differing))
                updated.add(rid)
        if new_rows:
            session.execute(insert(Repository), new_rows)
    return added, updated


def _row_of(data: RepoData) -> dict[str, Any]:
    """The row to store: with the contributors' status of the details fetched (unchanged without them)."""
    row = data.row
    if data.details is not None:
        row["contributors_status"] = data.details.contributors_status
    return row


def _stored_rows(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {row["id"]: row for row in session.execute(select(Repository.__table__).where(Repository.id.in_(ids))).mappings()}


def replace_details(session: Session, store: ResponseStore, repos: list[RepoData]) -> tuple[set[int], int]:
    """Replace the language and contributor rows of repositories whose details changed.

    Returns the ids whose details changed and how many contributors' profiles changed.
    """
    language_ids = dict(session.execute(select(Language.name, Language.id)).all())
    changed: set[int] = set()
    people_changed = 0
    for chunk in chunked(repos, DETAIL_CHUNK):
        fetched = _read_details(session, store, chunk)
        stored_languages, stored_counts = _stored_details(session, list(fetched))
        people_changed += _save_contributors(session, [p for _, people in fetched.values() for p in people])
        differ = {
            rid: (languages, people) for rid, (languages, people) in fetched.items()
            if languages != stored_languages.get(rid, {})
            or {p["id"]: p["contributions"] for p in people} != stored_counts.get(rid, {})
        }
        _write_details(session, language_ids, differ)
        changed |= set(differ)
    return changed, people_changed


def _read_details(session: Session, store: ResponseStore,
                  chunk: Sequence[RepoData]) -> dict[int, tuple[dict[str, int], list[dict[str, Any]]]]:
    """Languages and contributors (one per account) of each repository, parsed from the stored bodies."""
    urls = [url for data in chunk for url in (data.details.languages_url, *data.details.contributor_urls)]
    bodies = store.bodies(session, urls)
    missing = [url for url in urls if url not in bodies]
    if missing:
        raise GitHubError(f"the stored response of {missing[0]} is gone; run again to fetch it")
    result = {}
    for data in chunk:
        people: dict[int, dict[str, Any]] = {}
        for url in data.details.contributor_urls:
            page = json.loads(bodies[url])
            for person in map(parse_contributor, page if isinstance(page, list) else []):
                if person is not None:
                    people.setdefault(person["id"], person)
        result[data.row["id"]] = (parse_languages(json.loads(bodies[data.details.languages_url])), list(people.values()))
    return result


def _stored_details(session: Session, ids: list[int]) -> tuple[dict[int, dict[str, int]], dict[int, dict[int, int]]]:
    """Published language bytes and contribution counts of these repositories."""
    languages: dict[int, dict[str, int]] = defaultdict(dict)
    for rid, name, size in session.execute(
        select(RepositoryLanguage.repository_id, Language.name, RepositoryLanguage.bytes)
        .join(Language, Language.id == RepositoryLanguage.language_id)
        .where(RepositoryLanguage.repository_id.in_(ids))
    ):
        languages[rid][name] = size
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, cid, count in session.execute(
        select(RepositoryContributor.repository_id, RepositoryContributor.contributor_id,
               RepositoryContributor.contributions).where(RepositoryContributor.repository_id.in_(ids))
    ):
        counts[rid][cid] = count
    return languages, counts


def _save_contributors(session: Session, people: Iterable[dict[str, Any]]) -> int:
    """Insert new contributors and update changed ones (login, avatar, ...); how many changed."""
    seen = {p["id"]: {"id": p["id"], **{k: p[k] for k in CONTRIBUTOR_COLUMNS}} for p in people}
    stored = {}
    for chunk in chunked(list(seen)):
        stored.update({
            row.id: row for row in session.execute(
                select(Contributor.id, *(getattr(Contributor, k) for k in CONTRIBUTOR_COLUMNS))
                .where(Contributor.id.in_(chunk))
            )
        })
    new = [p for cid, p in seen.items() if cid not in stored]
    changed = [p for cid, p in seen.items()
               if cid in stored and any(getattr(stored[cid], k) != p[k] for k in CONTRIBUTOR_COLUMNS)]
    if new:
        session.execute(insert(Contributor), new)
    if changed:
        session.execute(update(Contributor), changed)
    return len(changed)


def _write_details(session: Session, language_ids: dict[str, int],
                   details: dict[int, tuple[dict[str, int], list[dict[str, Any]]]]) -> None:
    """Replace these repositories' language and contributor rows (new language names are added)."""
    if not details:
        return
    names = sorted({name for languages, _ in details.values() for name in languages} - set(language_ids))
    if names:
        session.execute(insert(Language), [{"name": n} for n in names])
        language_ids.update(session.execute(select(Language.name, Language.id).where(Language.name.in_(names))).all())
    ids = list(details)
    session.execute(delete(RepositoryLanguage).where(RepositoryLanguage.repository_id.in_(ids)))
    session.execute(delete(RepositoryContributor).where(RepositoryContributor.repository_id.in_(ids)))
    language_rows = [{"repository_id": rid, "language_id": language_ids[name], "bytes": size}
                     for rid, (languages, _) in details.items() for name, size in languages.items()]
    contributor_rows = [{"repository_id": rid, "contributor_id": p["id"], "contributions": p["contributions"]}
                        for rid, (_, people) in details.items() for p in people]
    for rows, model in ((language_rows, RepositoryLanguage), (contributor_rows, RepositoryContributor)):
        for chunk in chunked(rows):
            session.execute(insert(model), list(chunk))


def publish_content(session: Session, snapshot: Snapshot, store: ResponseStore, content: ContentFetch) -> bool:
    """Profiles, pins, releases, social images and colours, then the READMEs a chunk at a time:
    those whose ETag differs from the published one are read back and sanitized. True on change."""
    changed = clear_graphql_content(session) if not content.graphql and snapshot.plan.full else False
    changed |= save_content(session, content.content)
    published = dict(session.execute(select(Readme.repository_id, Readme.etag)).all())
    for chunk in chunked(list(content.readmes.items()), DETAIL_CHUNK):
        due = {rid: ref for rid, ref in chunk if ref.url is None or ref.etag is None or published.get(rid) != ref.etag}
        bodies = store.bodies(session, [ref.url for ref in due.values() if ref.url is not None])
        readmes = {}
        for rid, ref in due.items():
            if ref.url is None:
                readmes[rid] = ReadmeContent.missing()
            elif ref.url in bodies:
                readmes[rid] = _sanitized(snapshot.repos[rid].row, bodies[ref.url], ref.etag)
        changed |= save_readmes(session, readmes)
    return changed


def _sanitized(row: dict[str, Any], rendered: str, etag: str | None) -> ReadmeContent:
    size = len(rendered.encode("utf-8"))
    readme = sanitize_readme(rendered, row["html_url"], row["default_branch"] or "HEAD")
    if readme.html is None:
        log.warning("%s: README not stored: %s", row["full_name"], readme.skipped)
        return ReadmeContent(None, size, "too_large", etag)
    return ReadmeContent.rendered(readme.html, size, etag)


def drop_orphans(session: Session) -> None:
    """Languages and contributors no longer referenced by any repository leave too."""
    session.execute(
        delete(Language).where(~select(RepositoryLanguage.language_id)
                               .where(RepositoryLanguage.language_id == Language.id).exists())
    )
    session.execute(
        delete(Contributor).where(~select(RepositoryContributor.contributor_id)
                                  .where(RepositoryContributor.contributor_id == Contributor.id).exists())
    )


def attach_extras(session: Session) -> None:
    """Give curated entries written for a name the id of the repository that now has it."""
    pending = session.scalars(select(RepositoryExtra).where(RepositoryExtra.repository_id.is_(None))).all()
    if not pending:
        return
    by_name = {name.lower(): rid for rid, name in session.execute(select(Repository.id, Repository.full_name))}
    taken = set(session.scalars(select(RepositoryExtra.repository_id).where(RepositoryExtra.repository_id.is_not(None))))
    for extra in pending:
        rid = by_name.get(extra.full_name.lower())
        if rid is not None and rid not in taken:
            extra.repository_id = rid
            taken.add(rid)
    session.flush()
