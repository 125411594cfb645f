"""The ways to run the product: systemd units (checked by systemd-analyze) and the Procfile (run by honcho)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shared.db import make_engine
from shared.models import SyncRun
from tests.fakegithub import FakeGitHub
from tests.helpers import ROOT, free_port, syncer_env

UNITS = ROOT / "deploy" / "systemd"
BIN = Path(sys.executable).parent  # where the project's console scripts are installed


def unit_settings(name: str) -> dict[str, str]:
    settings = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key] = value
    return settings


def procfile() -> dict[str, str]:
    return dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_both_units(tmp_path):
    names = ["portfolio-syncer.service", "portfolio-api.service"]
    for name in names:  # the binaries must exist for verify: point them at this checkout's
        text = (UNITS / name).read_text().replace("/opt/portfolio/.venv/bin/", f"{BIN}/")
        (tmp_path / name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True)
    about_our_units = [line for line in (result.stdout + result.stderr).splitlines() if "portfolio-" in line]
    assert result.returncode == 0 and about_our_units == [], result.stdout + result.stderr


def test_both_units_share_one_user_and_state_directory_and_are_hardened():
    worker, api = unit_settings("portfolio-syncer.service"), unit_settings("portfolio-api.service")
    assert worker["ExecStart"].endswith("/syncer run")
    assert api["ExecStart"].endswith("/gunicorn -c /opt/portfolio/gunicorn.conf.py 'api:create_app()'")
    assert worker["KillSignal"] == "SIGTERM" and worker["TimeoutStopSec"] == "30"
    for unit in (worker, api):
        assert unit["User"] == "portfolio" and unit["StateDirectory"] == "portfolio"
        assert unit["WorkingDirectory"] == "/var/lib/portfolio"  # the SQLite default: /var/lib/portfolio/data
        assert unit["EnvironmentFile"] == "/etc/portfolio/env" and unit["Restart"] == "on-failure"
        for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
            assert unit[hardening] == "yes"
        assert unit["ProtectSystem"] == "strict"


def test_procfile_has_release_web_worker_and_hooks():
    assert procfile() == {
        "release": "syncer db upgrade",
        "web": "gunicorn -c gunicorn.conf.py 'api:create_app()'",
        "worker": "syncer run",
        "hooks": "syncer hooks",
    }



def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_honcho_runs_the_release_step_then_web_and_worker_on_sqlite(tmp_path):
    (tmp_path / "empty.env").write_text("")  # not the developer's .env
    url = f"sqlite:///{tmp_path / 'portfolio.db'}"
    port = free_port()
    with FakeGitHub() as fake:
        fake.populate(owners=["alice"], n=5)
        env = syncer_env(DATABASE_URL=url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice",
                         PATH=f"{BIN}:{os.environ['PATH']}")
        honcho = [str(BIN / "honcho"), "start", "--env", str(tmp_path / "empty.env"), "--port", str(port)]
        release = subprocess.run([*honcho, "release"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert release.returncode == 0 and "schema upgraded from empty" in release.stdout, release.stdout
        product = subprocess.Popen([*honcho, "web", "worker"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until(lambda: answers(port) and synced(url), product)
        finally:
            product.send_signal(signal.SIGTERM)
            output, _ = product.communicate(timeout=20)
    assert "scheduler started; next sync at" in output and "worker stopped" in output, output


def wait_until(condition, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline and process.poll() is None, "the product did not come up"
        time.sleep(0.1)


def synced(url: str) -> bool:
    engine = make_engine(make_url(url))
    try:
        with Session(engine) as session:
            return session.scalar(select(SyncRun.status)) == "success"
    finally:
        engine.dispose()
