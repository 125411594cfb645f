"""Settings read once from the environment; each command loads only the sections it uses."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///data/portfolio.db"
SUPPORTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_WINDOW = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?-(\d{2}):(\d{2})(?::(\d{2}))?$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_REFRESH_INTERVAL = timedelta(minutes=15)


class ConfigError(Exception):
    """A setting has a wrong value; the message names the variable and what it expects."""

    def __init__(self, variable: str, expected: str, value: str | None = None):
        self.variable = variable
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{variable}: expected {expected}{shown}")


class Secret:
    """A string that never shows itself in repr, str or logs; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def fingerprint(self) -> str:
        """A stable hash that identifies the secret without exposing it."""
        return hashlib.sha256(b"portfolio-syncer:" + self._value.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


Env = Mapping[str, str]


def _get(env: Env, name: str) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _bool(env: Env, name: str, default: bool) -> bool:
    value = _get(env, name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, "one of true/false/1/0/yes/no/on/off", value)


def _number(env: Env, name: str, default: float, *, minimum: float, integer: bool = False) -> float:
    value = _get(env, name)
    if value is None:
        return default
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ConfigError(name, f"{kind} >= {minimum:g}", value) from None
    if number < minimum:
        kind = "an integer" if integer else "a number"
        raise ConfigError(name, f"{kind} >= {minimum:g}", value)
    return number


def parse_duration(raw: str, variable: str) -> timedelta | None:
    """`15m`, `90s`, `2h`, `1d` or plain seconds; `0` means off (None)."""
    match = _DURATION.match(raw.strip().lower())
    if not match:
        raise ConfigError(variable, "a duration such as 90s, 15m or 2h (0 turns it off)", raw)
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    return timedelta(seconds=seconds) if seconds > 0 else None


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives (`DATABASE_URL`)."""

    url: URL

    @classmethod
    def from_env(cls, env: Env | None = None) -> DatabaseSettings:
        env = os.environ if env is None else env
        raw = _get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(url=parse_database_url(raw))


def parse_database_url(raw: str, variable: str = "DATABASE_URL") -> URL:
    """Parse and check a SQLAlchemy database URL for one of the supported backends."""
    expected = (
        "a database URL such as sqlite:///data/portfolio.db, "
        "postgresql+psycopg://user@host/db or mysql+pymysql://user@host/db"
    )
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(variable, expected, _redact_url(raw)) from None
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(variable, expected, _redact_url(raw))
    if url.get_backend_name() != "sqlite" and not url.database:
        raise ConfigError(variable, expected + " that names a database", _redact_url(raw))
    return url


def _redact_url(raw: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


@dataclass(frozen=True)
class GitHubSettings:
    """How the syncer talks to GitHub and what it mirrors."""

    api_url: str = "https://api.github.com"
    token: Secret | None = field(default=None, repr=False)
    owners: tuple[str, ...] = ()
    include_private: bool = False
    workers: int = 4
    timeout: float = 10.0
    max_attempts: int = 4
    max_rate_limit_wait: float = 900.0
    max_consecutive_failures: int = 8
    retry_backoff: float = 1.0
    secondary_backoff: float = 60.0

    @classmethod
    def from_env(cls, env: Env | None = None) -> GitHubSettings:
        env = os.environ if env is None else env
        api_url = (_get(env, "GITHUB_API_URL") or cls.api_url).rstrip("/")
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", api_url):
            raise ConfigError(
                "GITHUB_API_URL",
                "an http(s) URL such as https://api.github.com or https://HOST/api/v3",
                api_url,
            )
        token = _get(env, "GITHUB_TOKEN")
        owners = parse_owners(_get(env, "GITHUB_OWNERS") or "")
        if not owners:
            raise ConfigError("GITHUB_OWNERS", "a comma-separated list of GitHub user or organisation logins")
        return cls(
            api_url=api_url,
            token=Secret(token) if token else None,
            owners=owners,
            include_private=_bool(env, "GITHUB_INCLUDE_PRIVATE", False),
            workers=int(_number(env, "SYNC_WORKERS", 4, minimum=1, integer=True)),
            timeout=_number(env, "GITHUB_TIMEOUT", 10.0, minimum=0.1),
            max_attempts=int(_number(env, "GITHUB_MAX_ATTEMPTS", 4, minimum=1, integer=True)),
            max_rate_limit_wait=_number(env, "GITHUB_MAX_RATE_LIMIT_WAIT", 900.0, minimum=0),
            retry_backoff=_number(env, "GITHUB_RETRY_BACKOFF", 1.0, minimum=0),
            secondary_backoff=_number(env, "GITHUB_SECONDARY_BACKOFF", 60.0, minimum=0),
        )


def parse_owners(raw: str, variable: str = "GITHUB_OWNERS") -> tuple[str, ...]:
    """Split and check a comma-separated list of GitHub logins (order kept, duplicates dropped)."""
    owners: list[str] = []
    for part in raw.split(","):
        login = part.strip()
        if not login:
            continue
        if not _LOGIN.match(login):
            raise ConfigError(variable, "comma-separated GitHub logins (letters, digits, hyphens)", login)
        if login.lower() not in (o.lower() for o in owners):
            owners.append(login)
    return tuple(owners)


@dataclass(frozen=True)
class SyncWindow:
    """A daily time-of-day window; `end` before `start` means it crosses midnight."""

    start: time
    end: time

    def __str__(self) -> str:
        fmt = "%H:%M:%S" if self.start.second or self.end.second else "%H:%M"
        return f"{self.start.strftime(fmt)}-{self.end.strftime(fmt)}"

    @property
    def length(self) -> timedelta:
        """How long the window lasts on a day without a clock change."""
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)) % timedelta(days=1)


def parse_window(raw: str, variable: str = "SYNC_WINDOW") -> SyncWindow:
    expected = "a daily window HH:MM-HH:MM or HH:MM:SS-HH:MM:SS, e.g. 02:00-05:00"
    match = _WINDOW.match(raw.strip())
    if not match:
        raise ConfigError(variable, expected, raw)
    h1, m1, s1, h2, m2, s2 = (int(g) if g else 0 for g in match.groups())
    try:
        window = SyncWindow(time(h1, m1, s1), time(h2, m2, s2))
    except ValueError:
        raise ConfigError(variable, expected, raw) from None
    if window.start == window.end:
        raise ConfigError(variable, expected + " with different start and end", raw)
    return window


@dataclass(frozen=True)
class ScheduleSettings:
    """When `syncer run` syncs."""

    window: SyncWindow = SyncWindow(time(2, 0), time(5, 0))
    timezone: ZoneInfo | None = None  # None: the machine's local zone
    max_age: timedelta = timedelta(hours=24)
    heartbeat_interval: float = 30.0
    refresh_interval: timedelta | None = None  # None: no light refresh between the nightly runs

    @classmethod
    def from_env(cls, env: Env | None = None) -> ScheduleSettings:
        env = os.environ if env is None else env
        raw_window = _get(env, "SYNC_WINDOW")
        window = parse_window(raw_window) if raw_window else cls.window
        zone_name = _get(env, "SYNC_TIMEZONE")
        zone = None
        if zone_name:
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError("SYNC_TIMEZONE", "an IANA time zone name such as Europe/Oslo", zone_name) from None
        hours = _number(env, "SYNC_MAX_AGE_HOURS", 24.0, minimum=0.01)
        raw_refresh = _get(env, "SYNC_REFRESH_INTERVAL")
        if raw_refresh is not None:
            refresh = parse_duration(raw_refresh, "SYNC_REFRESH_INTERVAL")
        else:  # free only with a token: anonymous 304s cost rate-limit points
            refresh = DEFAULT_REFRESH_INTERVAL if _get(env, "GITHUB_TOKEN") else None
        return cls(
            refresh_interval=refresh,
            window=window,
            timezone=zone,
            max_age=timedelta(hours=hours),
            heartbeat_interval=_number(env, "WORKER_HEARTBEAT_SECONDS", 30.0, minimum=0.1),
        )


@dataclass(frozen=True)
class ApiSettings:
    """How the read API answers."""

    cors_origins: tuple[str, ...] = ()
    cache_max_age: int = 60
    # How long a cache in front may keep serving an answer past max-age while it revalidates,
    # and while the API answers 5xx or not at all (RFC 5861).
    stale_while_revalidate: int = 300
    stale_if_error: int = 86400
    generation_check_interval: float = 0.5

    @classmethod
    def from_env(cls, env: Env | None = None) -> ApiSettings:
        env = os.environ if env is None else env
        origins = tuple(o.strip().rstrip("/") for o in (_get(env, "CORS_ORIGINS") or "").split(",") if o.strip())
        for origin in origins:
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                raise ConfigError("CORS_ORIGINS", "comma-separated origins such as https://example.com or *", origin)
        return cls(
            cors_origins=origins,
            cache_max_age=int(_number(env, "API_CACHE_MAX_AGE", 60, minimum=0, integer=True)),
            stale_while_revalidate=int(_number(env, "API_STALE_WHILE_REVALIDATE", 300, minimum=0, integer=True)),
            stale_if_error=int(_number(env, "API_STALE_IF_ERROR", 86400, minimum=0, integer=True)),
        )


@dataclass(frozen=True)
class ServerSettings:
    """Where gunicorn listens and how many processes it runs (`PORT`, `WEB_CONCURRENCY`, as PaaS set them)."""

    port: int = 8000
    web_concurrency: int = 2

    @classmethod
    def from_env(cls, env: Env | None = None) -> ServerSettings:
        env = os.environ if env is None else env
        return cls(
            port=int(_number(env, "PORT", 8000, minimum=1, integer=True)),
            web_concurrency=int(_number(env, "WEB_CONCURRENCY", 2, minimum=1, integer=True)),
        )


DEFAULT_WEBHOOK_PORT = 8001


@dataclass(frozen=True)
class HooksSettings:
    """What `syncer hooks` needs: the webhook secret, its port, whose deliveries count and the database.

    It reads no GitHub token: the receiver only records refresh requests.
    """

    secret: Secret = field(repr=False)
    owners: tuple[str, ...]
    database: DatabaseSettings
    port: int = DEFAULT_WEBHOOK_PORT

    @classmethod
    def from_env(cls, env: Env | None = None) -> HooksSettings:
        env = os.environ if env is None else env
        secret = env.get("GITHUB_WEBHOOK_SECRET") or ""
        if not secret.strip():
            raise ConfigError("GITHUB_WEBHOOK_SECRET", "the secret set on the GitHub webhook")
        owners = parse_owners(_get(env, "GITHUB_OWNERS") or "")
        if not owners:
            raise ConfigError("GITHUB_OWNERS", "a comma-separated list of GitHub user or organisation logins")
        port = int(_number(env, "WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT, minimum=1, integer=True))
        if port > 65535:
            raise ConfigError("WEBHOOK_PORT", "a TCP port between 1 and 65535", str(port))
        return cls(secret=Secret(secret), owners=owners, database=DatabaseSettings.from_env(env), port=port)


def log_level_from_env(env: Env | None = None) -> str:
    env = os.environ if env is None else env
    level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", "one of " + ", ".join(_LOG_LEVELS), level)
    return level
