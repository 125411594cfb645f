"""Settings come from the environment; wrong values are one clear line and exit status 2."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from shared.config import (
    ApiSettings,
    ConfigError,
    DatabaseSettings,
    GitHubSettings,
    ScheduleSettings,
    ServerSettings,
    parse_window,
)
from tests.helpers import run_syncer, syncer_env


def test_nonsense_database_url_is_one_line_and_exit_2():
    result = run_syncer("db", "upgrade", env=syncer_env(DATABASE_URL="nonsense"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "Traceback" not in result.stderr


def test_default_database_is_a_sqlite_file_under_data(tmp_path):
    result = run_syncer("db", "upgrade", env=syncer_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "portfolio.db").is_file()
    assert DatabaseSettings.from_env({}).url.database == "data/portfolio.db"


def test_token_is_never_shown():
    settings = GitHubSettings.from_env({"GITHUB_TOKEN": "ghp_supersecret", "GITHUB_OWNERS": "alice"})
    assert settings.token.reveal() == "ghp_supersecret"
    for shown in (repr(settings), str(settings), repr(settings.token), str(settings.token)):
        assert "ghp_supersecret" not in shown
    assert "ghp_supersecret" not in settings.token.fingerprint()


def test_enterprise_api_url_and_owner_list_parse():
    settings = GitHubSettings.from_env(
        {"GITHUB_API_URL": "https://ghe.example.com/api/v3/", "GITHUB_OWNERS": " alice, acme-org ,alice"}
    )
    assert settings.api_url == "https://ghe.example.com/api/v3"
    assert settings.owners == ("alice", "acme-org")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GITHUB_OWNERS": ""}, "GITHUB_OWNERS"),
        ({"GITHUB_OWNERS": "bad login!"}, "GITHUB_OWNERS"),
        ({"GITHUB_OWNERS": "a", "GITHUB_API_URL": "ftp://x"}, "GITHUB_API_URL"),
        ({"GITHUB_OWNERS": "a", "SYNC_WORKERS": "0"}, "SYNC_WORKERS"),
        ({"GITHUB_OWNERS": "a", "GITHUB_INCLUDE_PRIVATE": "maybe"}, "GITHUB_INCLUDE_PRIVATE"),
    ],
)
def test_wrong_github_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as error:
        GitHubSettings.from_env(env)
    assert error.value.variable == variable and variable in str(error.value)


def test_missing_owners_for_once_is_exit_2(tmp_path):
    result = run_syncer("once", env=syncer_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "GITHUB_OWNERS" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("raw", ["2-5", "25:00-05:00", "02:00-02:00", "02:00-05:00:99", "noon"])
def test_bad_sync_window_is_rejected(raw):
    with pytest.raises(ConfigError, match="SYNC_WINDOW"):
        parse_window(raw)


def test_window_with_seconds_and_crossing_midnight():
    window = parse_window("23:30:15-01:00:00")
    assert window.start == time(23, 30, 15) and window.end == time(1, 0)


def test_unknown_timezone_is_rejected():
    with pytest.raises(ConfigError, match="SYNC_TIMEZONE"):
        ScheduleSettings.from_env({"SYNC_TIMEZONE": "Mars/Olympus"})


def test_api_cache_allowances_default_to_five_minutes_revalidating_and_a_day_of_errors():
    settings = ApiSettings.from_env({})
    assert (settings.cache_max_age, settings.stale_while_revalidate, settings.stale_if_error) == (60, 300, 86400)


def test_api_cache_allowances_are_read_in_seconds():
    settings = ApiSettings.from_env({"API_STALE_WHILE_REVALIDATE": "30", "API_STALE_IF_ERROR": "0"})
    assert (settings.stale_while_revalidate, settings.stale_if_error) == (30, 0)


@pytest.mark.parametrize("variable", ["API_STALE_WHILE_REVALIDATE", "API_STALE_IF_ERROR"])
def test_a_negative_cache_allowance_names_the_variable(variable):
    with pytest.raises(ConfigError) as error:
        ApiSettings.from_env({variable: "-1"})
    assert error.value.variable == variable


def test_server_settings_follow_the_paas_conventions():
    assert ServerSettings.from_env({}) == ServerSettings(port=8000, web_concurrency=2)
    assert ServerSettings.from_env({"PORT": "5000", "WEB_CONCURRENCY": "4"}) == ServerSettings(5000, 4)


@pytest.mark.parametrize("env, variable", [({"PORT": "http"}, "PORT"), ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY")])
def test_wrong_server_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as error:
        ServerSettings.from_env(env)
    assert error.value.variable == variable


@pytest.mark.parametrize(("raw", "seconds"), [("15m", 900), ("90s", 90), ("2h", 7200), ("1d", 86400), ("45", 45),
                                              ("1.5m", 90), (" 10M ", 600)])
def test_refresh_interval_reads_durations(raw, seconds):
    settings = ScheduleSettings.from_env({"SYNC_REFRESH_INTERVAL": raw})
    assert settings.refresh_interval == timedelta(seconds=seconds)


def test_refresh_interval_zero_turns_it_off_even_with_a_token():
    assert ScheduleSettings.from_env({"SYNC_REFRESH_INTERVAL": "0", "GITHUB_TOKEN": "t"}).refresh_interval is None


def test_refresh_defaults_to_15_minutes_with_a_token_and_off_without():
    assert ScheduleSettings.from_env({"GITHUB_TOKEN": "ghp_x"}).refresh_interval == timedelta(minutes=15)
    assert ScheduleSettings.from_env({}).refresh_interval is None


@pytest.mark.parametrize("raw", ["soon", "15 minutes", "-5m", "1w", "m"])
def test_a_wrong_refresh_interval_names_the_variable(raw):
    with pytest.raises(ConfigError, match="SYNC_REFRESH_INTERVAL: expected a duration"):
        ScheduleSettings.from_env({"SYNC_REFRESH_INTERVAL": raw})
