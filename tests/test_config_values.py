"""Every setting as the README documents it: its variable, its default, its spellings and its limits."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.config import (
    ApiSettings,
    ConfigError,
    DatabaseSettings,
    GitHubSettings,
    ScheduleSettings,
    Secret,
    SyncWindow,
    log_level_from_env,
    parse_database_url,
    parse_owners,
    parse_window,
)

OWNER = {"GITHUB_OWNERS": "alice"}


def refusal(load, env) -> str:
    with pytest.raises(ConfigError) as error:
        load(env)
    return str(error.value)


def test_a_refusal_names_the_variable_what_it_expects_and_what_it_got():
    error = ConfigError("SYNC_WORKERS", "an integer >= 1", "0")
    assert (str(error), error.variable) == ("SYNC_WORKERS: expected an integer >= 1 (got '0')", "SYNC_WORKERS")
    assert str(ConfigError("GITHUB_OWNERS", "a list")) == "GITHUB_OWNERS: expected a list"


@pytest.mark.parametrize("spelling", ["1", "true", "yes", "on", "TRUE", " Yes ", "On"])
def test_every_spelling_of_true_turns_a_switch_on(spelling):
    assert GitHubSettings.from_env({**OWNER, "GITHUB_INCLUDE_PRIVATE": spelling}).include_private is True


@pytest.mark.parametrize("spelling", ["0", "false", "no", "off", "FALSE", " No ", "Off", "", "  "])
def test_every_spelling_of_false_and_an_empty_value_leave_a_switch_off(spelling):
    assert GitHubSettings.from_env({**OWNER, "GITHUB_INCLUDE_PRIVATE": spelling}).include_private is False


def test_a_switch_in_another_spelling_is_refused_with_the_spellings_it_takes():
    message = refusal(GitHubSettings.from_env, {**OWNER, "GITHUB_INCLUDE_PRIVATE": "y"})
    assert message == "GITHUB_INCLUDE_PRIVATE: expected one of true/false/1/0/yes/no/on/off (got 'y')"


def test_github_defaults_are_the_documented_ones():
    settings = GitHubSettings.from_env(OWNER)
    assert settings == GitHubSettings(owners=("alice",))
    assert (settings.api_url, settings.token, settings.include_private, settings.workers) == (
        "https://api.github.com", None, False, 4)
    assert (settings.timeout, settings.max_attempts, settings.max_rate_limit_wait) == (10.0, 4, 900.0)
    assert (settings.retry_backoff, settings.secondary_backoff, settings.max_consecutive_failures) == (1.0, 60.0, 8)


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        ("SYNC_WORKERS", " 7 ", "workers", 7),
        ("GITHUB_TIMEOUT", "2.5", "timeout", 2.5),
        ("GITHUB_MAX_ATTEMPTS", "9", "max_attempts", 9),
        ("GITHUB_MAX_RATE_LIMIT_WAIT", "30", "max_rate_limit_wait", 30.0),
        ("GITHUB_RETRY_BACKOFF", "0.25", "retry_backoff", 0.25),
        ("GITHUB_SECONDARY_BACKOFF", "5", "secondary_backoff", 5.0),
    ],
)
def test_each_github_number_is_read_from_its_variable(variable, raw, field, value):
    settings = GitHubSettings.from_env({**OWNER, variable: raw})
    assert getattr(settings, field) == value and type(getattr(settings, field)) is type(value)
    others = {name: getattr(GitHubSettings(), name) for name in ("workers", "timeout", "max_attempts",
              "max_rate_limit_wait", "retry_backoff", "secondary_backoff") if name != field}
    assert {name: getattr(settings, name) for name in others} == others


@pytest.mark.parametrize(
    ("variable", "lowest", "field", "too_low", "expected"),
    [
        ("SYNC_WORKERS", "1", "workers", "0", "an integer >= 1"),
        ("GITHUB_TIMEOUT", "0.1", "timeout", "0.09", "a number >= 0.1"),
        ("GITHUB_MAX_ATTEMPTS", "1", "max_attempts", "0", "an integer >= 1"),
        ("GITHUB_MAX_RATE_LIMIT_WAIT", "0", "max_rate_limit_wait", "-1", "a number >= 0"),
        ("GITHUB_RETRY_BACKOFF", "0", "retry_backoff", "-0.5", "a number >= 0"),
        ("GITHUB_SECONDARY_BACKOFF", "0", "secondary_backoff", "-2", "a number >= 0"),
    ],
)
def test_each_github_number_takes_its_minimum_and_refuses_less(variable, lowest, field, too_low, expected):
    assert getattr(GitHubSettings.from_env({**OWNER, variable: lowest}), field) == float(lowest)
    message = refusal(GitHubSettings.from_env, {**OWNER, variable: too_low})
    assert message == f"{variable}: expected {expected} (got {too_low!r})"


@pytest.mark.parametrize(
    ("variable", "raw", "expected"),
    [("SYNC_WORKERS", "2.5", "an integer >= 1"), ("GITHUB_MAX_ATTEMPTS", "many", "an integer >= 1"),
     ("GITHUB_TIMEOUT", "soon", "a number >= 0.1")],
)
def test_a_number_that_does_not_parse_is_refused(variable, raw, expected):
    assert refusal(GitHubSettings.from_env, {**OWNER, variable: raw}) == f"{variable}: expected {expected} (got {raw!r})"


def test_github_api_url_and_token_are_read_and_checked():
    settings = GitHubSettings.from_env({**OWNER, "GITHUB_API_URL": " http://127.0.0.1:8080// ", "GITHUB_TOKEN": " t "})
    assert settings.api_url == "http://127.0.0.1:8080" and settings.token == Secret("t")
    message = refusal(GitHubSettings.from_env, {**OWNER, "GITHUB_API_URL": "https://ghe example.com"})
    assert message == ("GITHUB_API_URL: expected an http(s) URL such as https://api.github.com or "
                       "https://HOST/api/v3 (got 'https://ghe example.com')")
    assert GitHubSettings.from_env({**OWNER, "GITHUB_TOKEN": "  "}).token is None


def test_owners_are_needed():
    assert refusal(GitHubSettings.from_env, {"GITHUB_OWNERS": " , "}) == (
        "GITHUB_OWNERS: expected a comma-separated list of GitHub user or organisation logins")
    assert refusal(GitHubSettings.from_env, {}) == (
        "GITHUB_OWNERS: expected a comma-separated list of GitHub user or organisation logins")


def test_settings_come_from_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("GITHUB_OWNERS", "carol")
    monkeypatch.setenv("GITHUB_INCLUDE_PRIVATE", "yes")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("SYNC_WINDOW", "01:00-01:30")
    monkeypatch.setenv("API_CACHE_MAX_AGE", "5")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    github = GitHubSettings.from_env()
    assert (github.owners, github.include_private) == (("carol",), True)
    assert DatabaseSettings.from_env().url.database == "elsewhere.db"
    assert ScheduleSettings.from_env().window == SyncWindow(time(1), time(1, 30))
    assert ApiSettings.from_env().cache_max_age == 5
    assert log_level_from_env() == "DEBUG"


def test_owners_keep_their_order_and_drop_repeats_in_any_case():
    assert parse_owners(" alice,,Bob , ALICE,bob,carol ") == ("alice", "Bob", "carol")
    assert parse_owners("a" * 39) == ("a" * 39,)


@pytest.mark.parametrize("login", ["-alice", "a" * 40, "al_ice", "ali ce"])
def test_a_login_github_would_not_allow_is_refused_by_name(login):
    with pytest.raises(ConfigError) as error:
        parse_owners(f"bob,{login}", variable="OWNER")
    assert str(error.value) == f"OWNER: expected comma-separated GitHub logins (letters, digits, hyphens) (got {login!r})"


def test_the_database_url_is_read_checked_and_its_password_never_shown():
    assert DatabaseSettings.from_env({"DATABASE_URL": " postgresql://u@h/db "}).url.database == "db"
    assert DatabaseSettings.from_env({"DATABASE_URL": ""}).url.database == "data/portfolio.db"
    expected = ("a database URL such as sqlite:///data/portfolio.db, postgresql+psycopg://user@host/db "
                "or mysql+pymysql://user@host/db")
    for raw, shown, tail in [
        ("oracle://u:hunter2@h/db", "oracle://u:***@h/db", ""),
        ("postgresql://u:hunter2@h", "postgresql://u:***@h", " that names a database"),
        ("not a url", "not a url", ""),
    ]:
        with pytest.raises(ConfigError) as error:
            parse_database_url(raw, variable="TEST_URL")
        assert str(error.value) == f"TEST_URL: expected {expected}{tail} (got {shown!r})"
    assert parse_database_url("mariadb://root@h/db").get_backend_name() == "mariadb"
    assert parse_database_url("sqlite://").get_backend_name() == "sqlite"


def test_a_secret_shows_only_stars_and_a_stable_fingerprint():
    secret = Secret("ghp_x")
    assert (repr(secret), str(secret), secret.reveal()) == ("Secret('***')", "Secret('***')", "ghp_x")
    # stored GitHub responses are keyed by it: a change would throw every stored ETag away
    assert secret.fingerprint() == "096da8798e96a40b6dfaa8802e469f88"
    assert Secret("ghp_y").fingerprint() != secret.fingerprint()
    assert secret == Secret("ghp_x") and secret != Secret("ghp_y") and secret != "ghp_x"
    assert len({secret, Secret("ghp_x"), Secret("ghp_y")}) == 2


def test_schedule_defaults_are_the_documented_ones():
    schedule = ScheduleSettings.from_env({})
    assert schedule == ScheduleSettings()
    assert (schedule.window, schedule.timezone) == (SyncWindow(time(2), time(5)), None)
    assert (schedule.max_age, schedule.heartbeat_interval) == (timedelta(hours=24), 30.0)


def test_schedule_settings_are_read_from_their_variables():
    schedule = ScheduleSettings.from_env({"SYNC_WINDOW": " 23:30-00:15 ", "SYNC_TIMEZONE": "Europe/Oslo",
                                          "SYNC_MAX_AGE_HOURS": "0.01", "WORKER_HEARTBEAT_SECONDS": "0.1"})
    assert schedule.window == SyncWindow(time(23, 30), time(0, 15))
    assert schedule.timezone == ZoneInfo("Europe/Oslo")
    assert (schedule.max_age, schedule.heartbeat_interval) == (timedelta(hours=0.01), 0.1)


@pytest.mark.parametrize(
    ("variable", "raw", "expected"),
    [
        ("SYNC_WINDOW", "02:00", "a daily window HH:MM-HH:MM or HH:MM:SS-HH:MM:SS, e.g. 02:00-05:00"),
        ("SYNC_TIMEZONE", "Mars/Olympus", "an IANA time zone name such as Europe/Oslo"),
        ("SYNC_TIMEZONE", "/etc/localtime", "an IANA time zone name such as Europe/Oslo"),
        ("SYNC_MAX_AGE_HOURS", "0.009", "a number >= 0.01"),
        ("WORKER_HEARTBEAT_SECONDS", "0.09", "a number >= 0.1"),
    ],
)
def test_wrong_schedule_settings_name_the_variable(variable, raw, expected):
    assert refusal(ScheduleSettings.from_env, {variable: raw}) == f"{variable}: expected {expected} (got {raw!r})"


def test_a_window_needs_different_start_and_end_and_names_its_variable():
    with pytest.raises(ConfigError) as error:
        parse_window("03:00-03:00:00", variable="W")
    assert str(error.value) == ("W: expected a daily window HH:MM-HH:MM or HH:MM:SS-HH:MM:SS, e.g. 02:00-05:00 "
                                "with different start and end (got '03:00-03:00:00')")
    with pytest.raises(ConfigError, match="^W: expected a daily window"):
        parse_window("24:00-01:00", variable="W")


def test_a_window_is_written_back_with_seconds_only_when_it_has_some():
    assert str(parse_window("02:00-05:00")) == "02:00-05:00"
    assert str(parse_window("02:00:00-05:00:00")) == "02:00-05:00"
    assert str(parse_window("02:00:30-05:00")) == "02:00:30-05:00:00"
    assert str(parse_window("02:00-05:00:01")) == "02:00:00-05:00:01"


def test_api_settings_are_read_from_their_variables():
    api = ApiSettings.from_env({"CORS_ORIGINS": " https://me.example/ ,, http://127.0.0.1:3000,*",
                                "API_CACHE_MAX_AGE": "0"})
    assert api.cors_origins == ("https://me.example", "http://127.0.0.1:3000", "*")
    assert api.cache_max_age == 0
    assert ApiSettings.from_env({}) == ApiSettings() and ApiSettings().cache_max_age == 60
    assert ApiSettings().cors_origins == () and ApiSettings().generation_check_interval == 0.5


@pytest.mark.parametrize(
    ("variable", "raw", "expected", "shown"),
    [
        ("CORS_ORIGINS", "https://me.example/path", "comma-separated origins such as https://example.com or *",
         "https://me.example/path"),
        ("CORS_ORIGINS", "me.example", "comma-separated origins such as https://example.com or *", "me.example"),
        ("API_CACHE_MAX_AGE", "-1", "an integer >= 0", "-1"),
        ("API_CACHE_MAX_AGE", "1.5", "an integer >= 0", "1.5"),
    ],
)
def test_wrong_api_settings_name_the_variable(variable, raw, expected, shown):
    assert refusal(ApiSettings.from_env, {variable: raw}) == f"{variable}: expected {expected} (got {shown!r})"


def test_log_level_defaults_to_info_in_any_case_and_names_the_levels():
    assert log_level_from_env({}) == "INFO"
    assert log_level_from_env({"LOG_LEVEL": " warning "}) == "WARNING"
    assert refusal(log_level_from_env, {"LOG_LEVEL": "loud"}) == (
        "LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'LOUD')")


def test_a_wrong_database_url_names_database_url():
    message = refusal(DatabaseSettings.from_env, {"DATABASE_URL": "nonsense"})
    assert message.startswith("DATABASE_URL: expected a database URL") and message.endswith("(got 'nonsense')")


def test_urls_lose_only_their_trailing_slashes():
    settings = GitHubSettings.from_env({**OWNER, "GITHUB_API_URL": "https://ghe.example.com/GHX/"})
    assert settings.api_url == "https://ghe.example.com/GHX"
    assert ApiSettings.from_env({"CORS_ORIGINS": "https://DEMO.BOX/"}).cors_origins == ("https://DEMO.BOX",)


def test_a_window_with_an_hour_past_23_shows_what_it_got():
    assert refusal(ScheduleSettings.from_env, {"SYNC_WINDOW": "24:00-01:00"}) == (
        "SYNC_WINDOW: expected a daily window HH:MM-HH:MM or HH:MM:SS-HH:MM:SS, e.g. 02:00-05:00 (got '24:00-01:00')")
