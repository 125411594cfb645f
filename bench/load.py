"""Load while syncing: 32 connections read the API for 30 s while syncs commit new generations.

Runs on SQLite and on PostgreSQL and prints, per backend: requests, failed requests,
inconsistent answers (items of two generations in one answer), syncs, generations the readers
saw, and "database is locked" messages. Every count but requests, syncs and generations must be 0.

    python bench/load.py
    python bench/load.py --seconds 60 --backends postgresql
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.e2e.load import run_load_while_syncing  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def database(backend: str, tmp: Path):
    if backend == "sqlite":
        return make_url(f"sqlite:///{tmp / 'load.db'}")
    name = f"load_{time.monotonic_ns()}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES).set(database=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"{args.connections} connections for {args.seconds:.0f} s, `syncer once` publishing a new generation "
          "as fast as it can (every ~1-3 s)\n")
    print("| backend | requests | req/s | failed | inconsistent | syncs | generations seen | 'database is locked' |")
    print("|---|---|---|---|---|---|---|---|")
    bad = False
    for backend in args.backends:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_load_while_syncing(database(backend, Path(tmp)), seconds=args.seconds,
                                       connections=args.connections, sync_every=0.5, repos=20)
        print(f"| {backend} | {r.requests} | {r.requests / args.seconds:.0f} | {r.failed} | {r.inconsistent} | "
              f"{r.syncs} | {len(r.generations_seen)} | {r.locked_messages} |")
        bad |= bool(r.failed or r.inconsistent or r.failed_syncs or r.locked_messages)
        for error in r.errors:
            print(f"  {error}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
