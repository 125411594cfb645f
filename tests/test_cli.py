"""The command line's arguments, messages and exit statuses, through click's CliRunner (no process needed)."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from syncer.cli import cli

CLEAN = {"GITHUB_OWNERS": None, "GITHUB_TOKEN": None, "SYNC_WINDOW": None, "DATABASE_URL": None, "LOG_LEVEL": None}


@pytest.fixture(autouse=True)
def logging_as_it_was():
    """The commands set up logging (root handlers and levels); other tests get it back as it was."""
    root = logging.getLogger()
    names = ("urllib3", "alembic", "apscheduler.scheduler", "apscheduler.executors.default")
    saved = list(root.handlers), root.level, {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def invoke(*args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env={**CLEAN, **env})


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("once", "run", "hooks", "db", "extras", "status"):
        assert command in result.output


@pytest.mark.parametrize(("args", "env", "variable"), [
    (("once",), {"GITHUB_OWNERS": "alice", "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    (("status",), {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    (("run",), {"GITHUB_OWNERS": "alice", "SYNC_REFRESH_INTERVAL": "often"}, "SYNC_REFRESH_INTERVAL"),
])
def test_a_wrong_setting_is_one_line_and_exit_2(tmp_path, args, env, variable):
    result = invoke(*args, **{"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env})
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"Error: {variable}: expected") and len(result.output.splitlines()) == 1


def test_a_bad_owner_option_names_the_option(tmp_path):
    result = invoke("once", "--owner", "not a login", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2 and "--owner" in result.output and "Traceback" not in result.output


def test_an_unknown_option_is_a_usage_error():
    result = invoke("once", "--everything")
    assert result.exit_code == 2 and "No such option '--everything'" in result.output


def test_a_database_that_cannot_be_opened_is_one_line_and_exit_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = invoke("status", DATABASE_URL=f"sqlite:///{blocker}/db.sqlite")
    assert result.exit_code == 1
    assert result.output.startswith("Error: database:") and len(result.output.splitlines()) == 1


def test_extras_import_of_a_missing_file_says_so(tmp_path):
    result = invoke("extras", "import", str(tmp_path / "nope.toml"), DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2 and "nope.toml" in result.output and "No such file" in result.output
