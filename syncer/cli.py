"""The `syncer` command line: each command parses its options and calls one function that does the work."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from shared import migrate
from shared.config import ConfigError, DatabaseSettings, GitHubSettings, log_level_from_env, parse_owners
from shared.db import make_engine
from syncer.logs import setup_logging


class ConfigProblem(click.ClickException):
    """A setting has a wrong value: one line, exit status 2."""

    exit_code = 2


@dataclass
class Context:
    """What the group's options decided, handed to every command."""

    env: dict[str, str]
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(DatabaseSettings.from_env(self.env).url)
        return self._engine

    def github(self, owners: tuple[str, ...] = ()) -> GitHubSettings:
        env = dict(self.env)
        if owners:
            env["GITHUB_OWNERS"] = ",".join(owners)
        return GitHubSettings.from_env(env)


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", metavar="URL", help="Overrides DATABASE_URL.")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Overrides LOG_LEVEL (default INFO).",
)
@click.version_option(package_name="portfolio-syncer")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, log_level: str | None) -> None:
    """Mirror GitHub repositories into a SQL database for a portfolio site."""
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    if log_level:
        env["LOG_LEVEL"] = log_level
    setup_logging(log_level_from_env(env))
    ctx.obj = Context(env=env)


@cli.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(context: Context) -> None:
    """Create or migrate the tables to the newest schema (safe to run on every deploy)."""
    before, after = migrate.upgrade(context.engine())
    if before == after:
        click.echo(f"schema already at {after}")
    else:
        click.echo(f"schema upgraded from {before or 'empty'} to {after}")


@db.command("current")
@pass_context
def db_current(context: Context) -> None:
    """Show the schema revision of the database and whether it is the newest."""
    revision = migrate.current(context.engine())
    head = migrate.head()
    state = "up to date" if revision == head else f"behind: run `syncer db upgrade` to reach {head}"
    click.echo(f"{revision or 'empty'} ({state})")


def owners_option(function):
    return click.option(
        "--owner",
        "owners",
        multiple=True,
        metavar="LOGIN",
        callback=lambda _c, _p, value: parse_owners(",".join(value), "--owner") if value else (),
        help="Sync only this user or organisation (repeatable); default GITHUB_OWNERS.",
    )(function)


def main() -> None:
    """Entry point: user mistakes become one line and an exit status, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except (OperationalError, ProgrammingError) as error:
        logging.getLogger("syncer").debug("database error", exc_info=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        click.echo(f"Error: database: {reason}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
