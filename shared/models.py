"""The database schema: published GitHub data, curated extras and the syncer's own bookkeeping."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Text that may hold a whole page of GitHub JSON: MariaDB's TEXT stops at 64 KiB.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (stored naive UTC where there is no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class PreciseUTCDateTime(UTCDateTime):
    """A UTCDateTime that keeps microseconds on MariaDB too (its plain DATETIME drops them)."""

    cache_ok = True

    def load_dialect_impl(self, dialect: Any):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))


class JSONList(TypeDecorator[list]):
    """A list of strings kept as JSON text, identical on every backend."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list | None, dialect: Any) -> str | None:
        return None if value is None else json.dumps(list(value), ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Any) -> list | None:
        return None if value is None else json.loads(value)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MYSQL_TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Repository(Base):
    """A GitHub repository as last published; keyed by GitHub's id so renames keep identity."""

    __tablename__ = "repositories"
    __table_args__ = (Index("ix_repositories_owner_login", "owner_login"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_login: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(201), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str] = mapped_column(String(500))
    homepage: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(100))
    topics: Mapped[list] = mapped_column(JSONList, default=list)
    stargazers_count: Mapped[int] = mapped_column(Integer, default=0)
    forks_count: Mapped[int] = mapped_column(Integer, default=0)
    watchers_count: Mapped[int] = mapped_column(Integer, default=0)
    open_issues_count: Mapped[int] = mapped_column(Integer, default=0)
    fork: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    license_spdx_id: Mapped[str | None] = mapped_column(String(100))
    license_name: Mapped[str | None] = mapped_column(String(200))
    default_branch: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # "ok", "empty" (GitHub answered 204) or "unavailable" (403: the list is too large).
    contributors_status: Mapped[str] = mapped_column(String(20), default="ok")
    # GraphQL openGraphImageUrl and usesCustomOpenGraphImage; NULL until known.
    social_image_url: Mapped[str | None] = mapped_column(Text)
    social_image_custom: Mapped[bool | None] = mapped_column(Boolean)

    languages: Mapped[list[RepositoryLanguage]] = relationship(
        back_populates="repository", cascade="all, delete-orphan", passive_deletes=True
    )
    contributions: Mapped[list[RepositoryContributor]] = relationship(
        back_populates="repository", cascade="all, delete-orphan", passive_deletes=True
    )
    readme: Mapped[Readme | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    release: Mapped[Release | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Language(Base):
    """One row per unique programming language name."""

    __tablename__ = "languages"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str | None] = mapped_column(String(7))  # GitHub's "#3572A5"; NULL: unknown or none


class Contributor(Base):
    """A GitHub account that contributed to a published repository."""

    __tablename__ = "contributors"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    login: Mapped[str] = mapped_column(String(100))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    html_url: Mapped[str | None] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(20), default="User")


class RepositoryLanguage(Base):
    """How many bytes of a language a repository holds."""

    __tablename__ = "repository_languages"
    __table_args__ = (Index("ix_repository_languages_language_id", "language_id"), MYSQL_TABLE_ARGS)

    repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    language_id: Mapped[int] = mapped_column(Integer, ForeignKey("languages.id", ondelete="CASCADE"), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger)

    repository: Mapped[Repository] = relationship(back_populates="languages")
    language: Mapped[Language] = relationship()


class RepositoryContributor(Base):
    """How many contributions an account made to a repository."""

    __tablename__ = "repository_contributors"
    __table_args__ = (Index("ix_repository_contributors_contributor_id", "contributor_id"), MYSQL_TABLE_ARGS)

    repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    contributor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    )
    contributions: Mapped[int] = mapped_column(Integer)

    repository: Mapped[Repository] = relationship(back_populates="contributions")
    contributor: Mapped[Contributor] = relationship()


class RepositoryExtra(Base):
    """Curated data GitHub does not have; written only by `syncer extras import`, never by a sync.

    `full_name` is the key the user wrote; `repository_id` is attached once that repository is
    known and then follows it across renames (no foreign key: curated data outlives deletions).
    """

    __tablename__ = "repository_extras"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(201), unique=True)
    repository_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    demo_url: Mapped[str | None] = mapped_column(Text)
    video_urls: Mapped[list] = mapped_column(JSONList, default=list)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Owner(Base):
    """A mirrored GitHub account (one of GITHUB_OWNERS) as GET /users/{login} describes it."""

    __tablename__ = "owners"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(20))  # "User" or "Organization"
    name: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str] = mapped_column(String(500))
    html_url: Mapped[str] = mapped_column(String(500))
    bio: Mapped[str | None] = mapped_column(Text)
    blog: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    twitter_username: Mapped[str | None] = mapped_column(String(100))
    public_repos: Mapped[int] = mapped_column(Integer, default=0)
    followers: Mapped[int] = mapped_column(Integer, default=0)
    following: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # False until GraphQL answered its pins once: the API then says `pinned: null` (unknown).
    pins_known: Mapped[bool] = mapped_column(Boolean, default=False)

    pins: Mapped[list[Pin]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True, order_by="Pin.position"
    )


class Pin(Base):
    """A repository an owner pinned, at its position (1 first) in GitHub's order.

    No foreign key to repositories: a pin is what GitHub says about the owner, stored whether or
    not the repository is published (a private one never is); the API shows published ones only.
    """

    __tablename__ = "pins"
    __table_args__ = (
        UniqueConstraint("owner_id", "repository_id"),
        Index("ix_pins_repository_id", "repository_id"),
        MYSQL_TABLE_ARGS,
    )

    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    repository_id: Mapped[int] = mapped_column(BigInteger)

    owner: Mapped[Owner] = relationship(back_populates="pins")


class Readme(Base):
    """A repository's README as GitHub renders it, sanitized; `html` NULL with the reason why."""

    __tablename__ = "readmes"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    html: Mapped[str | None] = mapped_column(LongText)
    size: Mapped[int] = mapped_column(Integer, default=0)  # bytes of GitHub's rendering
    reason: Mapped[str | None] = mapped_column(String(20))  # "missing" (404) or "too_large"; NULL when stored
    etag: Mapped[str | None] = mapped_column(String(255))


class Release(Base):
    """A repository's latest release; no row when it has none."""

    __tablename__ = "releases"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(String(500))


class DatasetState(Base):
    """A single row: the generation every committed change of published data increases."""

    __tablename__ = "dataset_state"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a sync last published successfully; NULL until the first one (the API answers 503).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunStatus(str, enum.Enum):
    """How a sync run stands; stored as its value."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    ABANDONED = "abandoned"  # its process died or was stopped before it finished


class SyncRun(Base):
    """One attempt to sync: what it did and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_started_at", "started_at"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))  # "once" or "schedule"
    owners: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING.value)  # a RunStatus value
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    points_spent: Mapped[int] = mapped_column(Integer, default=0)
    rate_limit_remaining: Mapped[int | None] = mapped_column(Integer)
    generation: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[list] = mapped_column(JSONList, default=list)  # skipped repositories and why
    error: Mapped[str | None] = mapped_column(Text)
    # Quiet runs in a row (succeeded, changed nothing) fold into one row: how many it stands for,
    # with their requests and points summed, started_at of the first and finished_at of the last.
    runs: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # What the run could not give besides the repositories (no token for GraphQL, a failed query, ...).
    notes: Mapped[list | None] = mapped_column(JSONList, default=list)  # NULL: from before 0005


class HttpCacheEntry(Base):
    """A GitHub response kept for conditional requests and read back by the publish.

    Keyed per token fingerprint and URL; tagged with the repository or owner it is about, so the
    responses of what is gone (and of an old token) can be pruned.
    """

    __tablename__ = "http_cache"
    __table_args__ = (
        Index("ix_http_cache_repository_id", "repository_id"),
        Index("ix_http_cache_fingerprint", "fingerprint"),
        MYSQL_TABLE_ARGS,
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(fingerprint, url)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(LongText)
    next_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # of the token; NULL: from before 0005
    repository_id: Mapped[int | None] = mapped_column(BigInteger)
    owner_login: Mapped[str | None] = mapped_column(String(100))  # lower-cased


class SyncLock(Base):
    """The lease that lets one sync run at a time across processes and machines."""

    __tablename__ = "sync_lock"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # "host:pid:token"
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkerHeartbeat(Base):
    """A `syncer run` process saying it is alive and when it will sync next."""

    __tablename__ = "worker_heartbeats"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # "host:pid"
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How often it beats (whole seconds, rounded up), so readers can tell a late beat from a slow one.
    heartbeat_seconds: Mapped[int | None] = mapped_column(Integer)


class RefreshRequest(Base):
    """A webhook's ask to refresh one repository, or a whole owner, from GitHub; the worker acts on it.

    The payload is a trigger, never data: the worker asks GitHub itself. Rows for one repository
    (or owner) are taken together, retried with backoff and given up after a few attempts.
    """

    __tablename__ = "refresh_requests"
    __table_args__ = (
        Index("ix_refresh_requests_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_refresh_requests_finished_at", "finished_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One of GITHUB_OWNERS, spelled as configured; the owner to refresh when no repository is named.
    owner_login: Mapped[str] = mapped_column(String(100))
    # The repository as the payload names it (NULL for an owner-wide refresh) and its GitHub id.
    repository_name: Mapped[str | None] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(String(201))
    repository_id: Mapped[int | None] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(50))  # X-GitHub-Event
    action: Mapped[str | None] = mapped_column(String(50))
    delivery_id: Mapped[str] = mapped_column(String(100))  # X-GitHub-Delivery
    received_at: Mapped[datetime] = mapped_column(PreciseUTCDateTime)
    # "pending", "done" or "failed" (given up after the last attempt).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(PreciseUTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(PreciseUTCDateTime)


class WebhookDelivery(Base):
    """A webhook delivery the receiver accepted, kept a few days to drop redeliveries of it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_received_at", "received_at"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(100), unique=True)  # X-GitHub-Delivery
    event: Mapped[str] = mapped_column(String(50))
    action: Mapped[str | None] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(PreciseUTCDateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)  # refresh requests it recorded
