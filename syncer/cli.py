"""The `syncer` command line: each command parses its options and calls one function that does the work."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from shared import migrate
from shared.config import (
    ConfigError, DatabaseSettings, GitHubSettings, HooksSettings, ScheduleSettings, log_level_from_env, parse_owners,
)
from shared.db import make_engine
from syncer import extras as extras_module
from syncer.extras import ExtrasError, export_extras, import_extras, parse_extras
from syncer.fetch import Plan
from syncer.lock import LockHeld
from syncer.logs import setup_logging
from syncer.progress import progress_reporter
from syncer.service import sync_now
from syncer.status import format_status, read_status


@dataclass
class Context:
    """What the group's options decided, handed to every command."""

    env: dict[str, str]
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        if self._engine is None:
            url = DatabaseSettings.from_env(self.env).url
            try:
                self._engine = make_engine(url)
            except OSError as error:  # the SQLite file's directory cannot be made
                raise UserError(f"database: cannot create the directory of {url.database}: {error.strerror}", 1) \
                    from None
        return self._engine

    def github(self, owners: tuple[str, ...] = ()) -> GitHubSettings:
        env = dict(self.env)
        if owners:
            env["GITHUB_OWNERS"] = ",".join(owners)
        return GitHubSettings.from_env(env)


pass_context = click.make_pass_decorator(Context)


class UserError(click.ClickException):
    """A mistake the user can mend (a setting, the database): one line, never a traceback."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class SyncerGroup(click.Group):
    """Turns wrong settings (exit 2) and database errors (exit 1) into one line, for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise UserError(str(error), 2) from None
        except (OperationalError, ProgrammingError) as error:
            logging.getLogger("syncer").debug("database error", exc_info=True)
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise UserError(f"database: {reason}", 1) from None


@click.group(cls=SyncerGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


@cli.command()
@click.option(
    "--owner",
    "owners",
    multiple=True,
    metavar="LOGIN",
    help="Sync only this user or organisation (repeatable); default: everyone in GITHUB_OWNERS.",
)
@click.option("--recheck", is_flag=True,
              help="Ask every repository's details again (conditionally), not only those pushed since; "
                   "the nightly run does this.")
@pass_context
def once(context: Context, owners: tuple[str, ...], recheck: bool) -> None:
    """Sync now, once, and print a summary (exit 0 on success)."""
    try:
        chosen = parse_owners(",".join(owners), "--owner") if owners else ()
    except ConfigError as error:
        raise click.BadParameter(str(error).split(": ", 1)[1], param_hint="--owner") from None
    settings = context.github(chosen)
    engine = context.engine()
    migrate.upgrade(engine)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # On a terminal the summary is printed, not logged as well.
    on_terminal = sys.stdout.isatty() and sys.stderr.isatty()
    with progress_reporter() as progress:
        try:
            report = sync_now(engine, settings, trigger="once", plan=Plan.full_sync(settings, chosen, recheck=recheck), stop=stop,
                              progress=progress, log_summary=not on_terminal)
        except LockHeld as error:
            raise LockBusy(str(error)) from None
    click.echo("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


class LockBusy(click.ClickException):
    """Another sync holds the lock: exit status 3."""

    exit_code = 3


@cli.command()
@pass_context
def run(context: Context) -> None:
    """Sync once a day at a random moment inside SYNC_WINDOW, until SIGTERM or SIGINT."""
    from syncer.worker import run_worker  # the scheduler is imported by the command that runs it alone

    github, schedule = context.github(), ScheduleSettings.from_env(context.env)
    run_worker(context.engine(), github, schedule)


@cli.command()
@pass_context
def hooks(context: Context) -> None:
    """Receive GitHub webhooks on WEBHOOK_PORT and record refresh requests for the worker."""
    from syncer.hooks.server import SchemaNotCurrent, serve  # gunicorn and Flask: for this command alone

    settings = HooksSettings.from_env(context.env)
    try:
        serve(settings, log_level_from_env(context.env), restart_argv=sys.argv[1:])
    except SchemaNotCurrent as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many runs.")
@pass_context
def status(context: Context, limit: int) -> None:
    """Show the published dataset, the worker's heartbeat and the last sync runs."""
    click.echo(format_status(read_status(context.engine(), limit)))


@cli.group()
def extras() -> None:
    """Curated extras (demo links, videos, featured, hidden, order, description)."""


@extras.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--replace", is_flag=True, help="Also delete extras of repositories not in FILE.")
@pass_context
def extras_import(context: Context, file, replace: bool) -> None:
    """Validate FILE (TOML, one table per "owner/name") and write it in one transaction."""
    try:
        entries = parse_extras(file.read(extras_module.MAX_FILE_BYTES + 1))
    except ExtrasError as error:
        raise click.ClickException(f"{file.name}: {error}; nothing was written") from None
    engine = context.engine()
    migrate.upgrade(engine)
    result = import_extras(engine, entries, replace=replace)
    for name in result.unknown:
        click.echo(f"Warning: {name} is not in the database yet; its extras are kept for when it appears", err=True)
    removed = f", {result.removed} removed" if replace else ""
    click.echo(f"{result.written} extras written{removed}; dataset generation {result.generation}")


@extras.command("export")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Default: stdout.")
@pass_context
def extras_export(context: Context, output) -> None:
    """Write the current extras as TOML (the format `extras import` reads)."""
    output.write(export_extras(context.engine()))


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
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
