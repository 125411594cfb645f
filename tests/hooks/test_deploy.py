"""portfolio-hooks.service: accepted by systemd-analyze, hardened like the other units, without the token."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.worker.test_deploy import BIN, UNITS, unit_settings

UNIT = "portfolio-hooks.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_hooks_unit(tmp_path):
    # verify needs the ExecStart binary to exist: point it at this checkout's, as for the other units
    (tmp_path / UNIT).write_text((UNITS / UNIT).read_text().replace("/opt/portfolio/.venv/bin/", f"{BIN}/"))

    result = subprocess.run(["systemd-analyze", "verify", UNIT], cwd=tmp_path, capture_output=True, text=True)

    about_our_unit = [line for line in (result.stdout + result.stderr).splitlines() if "portfolio-" in line]
    assert result.returncode == 0 and about_our_unit == [], result.stdout + result.stderr


def test_the_hooks_unit_runs_syncer_hooks_as_the_other_units_run_theirs():
    hooks, worker = unit_settings(UNIT), unit_settings("portfolio-syncer.service")

    assert hooks["ExecStart"] == "/opt/portfolio/.venv/bin/syncer hooks"
    for key in ("User", "Group", "EnvironmentFile", "StateDirectory", "WorkingDirectory", "Restart", "KillSignal"):
        assert hooks[key] == worker[key], key


def test_the_hooks_unit_is_hardened_exactly_like_the_worker():
    hooks, worker = unit_settings(UNIT), unit_settings("portfolio-syncer.service")
    hardening = {key for key in worker if key.startswith(("Protect", "Private", "Restrict", "NoNew", "Lock",
                                                          "SystemCall", "Capability", "UMask"))}

    assert len(hardening) >= 15
    assert {key: hooks.get(key) for key in hardening} == {key: worker[key] for key in hardening}


def test_the_hooks_unit_is_not_given_the_github_token():
    assert unit_settings(UNIT)["UnsetEnvironment"] == "GITHUB_TOKEN"
