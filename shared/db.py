"""The one place engines and sessions are made, tuned per backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def backend(url: URL) -> str:
    """'sqlite', 'postgresql' or 'mysql' (MariaDB speaks the MySQL dialect)."""
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def _with_driver(url: URL) -> URL:
    """Pick the drivers the project installs when the URL names none."""
    kind = backend(url)
    if kind == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif kind == "mysql":
        if "+" not in url.drivername:
            url = url.set(drivername=f"{url.get_backend_name()}+pymysql")
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def sqlite_path(url: URL) -> Path | None:
    """The file of a file-backed SQLite URL, else None."""
    if backend(url) != "sqlite" or url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return None
    return Path(url.database)


def make_engine(url: URL, *, read_only: bool = False, **kwargs) -> Engine:
    """An engine for `url`: SQLite in WAL mode with a busy timeout and foreign keys; pre-ping elsewhere.

    `read_only=True` gives an engine that cannot write: SQLite opened with `mode=ro`, read-only
    transactions on PostgreSQL and MariaDB. Reads on servers run at REPEATABLE READ so that one
    transaction sees one consistent dataset.
    """
    url = _with_driver(url)
    kind = backend(url)
    if kind == "sqlite":
        return _sqlite_engine(url, read_only=read_only, **kwargs)
    engine = create_engine(url, pool_pre_ping=True, isolation_level="REPEATABLE READ", **kwargs)
    if read_only:
        event.listen(engine, "connect", _set_read_only(kind))
    return engine


def _sqlite_engine(url: URL, *, read_only: bool, **kwargs) -> Engine:
    path = sqlite_path(url)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    if path is not None:
        path = path.expanduser().resolve()
        if read_only:
            url = url.set(database=f"file:{path}?mode=ro", query={"uri": "true"})
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            url = url.set(database=str(path))
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide where transactions begin (see SQLAlchemy's
        # "Serializable isolation / Savepoints / Transactional DDL" notes for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only and path is not None:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front: a deferred transaction that later wants to write
        # fails at once with SQLITE_BUSY instead of waiting for the busy timeout.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _set_read_only(kind: str):
    def on_connect(dbapi_connection, _record):
        if kind == "postgresql":
            dbapi_connection.read_only = True  # psycopg 3: every transaction BEGINs READ ONLY
        else:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.close()

    return on_connect



@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on any exception."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
