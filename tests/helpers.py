"""Small helpers the tests share: running the real `syncer` command as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def syncer_env(db_url: URL | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a `syncer` subprocess: no settings leak in from the test runner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNC_", "DATABASE_", "CORS_", "API_"))}
    env["PYTHONPATH"] = str(ROOT)
    if db_url is not None:
        env["DATABASE_URL"] = url_string(db_url)
    env.update(extra)
    return env


def run_syncer(*args: str, env: dict[str, str], timeout: float = 120, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "syncer", *args],
        env=env,
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
