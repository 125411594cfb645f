"""`syncer hooks`: the webhook receiver under gunicorn, in a process that never holds the GitHub token."""

from __future__ import annotations

import logging
import os
import sys

from gunicorn.app.base import BaseApplication

from shared import migrate
from shared.config import HooksSettings
from shared.db import make_engine
from syncer.hooks.app import create_app
from syncer.hooks.deliveries import only_webhook_tables
from syncer.logs import mask

log = logging.getLogger("syncer.hooks")

#: Threads of the one gunicorn worker: a delivery waits on one database write, /healthz stays free.
THREADS = 8


class SchemaNotCurrent(Exception):
    """The database schema is not the one this code records into; `syncer db upgrade` fixes it."""


def drop_token(argv: list[str]) -> None:
    """Re-execute this command without GITHUB_TOKEN in its environment, if it was there.

    The receiver never reads the token; this makes sure it does not even hold it, in any process.
    """
    if "GITHUB_TOKEN" in os.environ:
        env = {key: value for key, value in os.environ.items() if key != "GITHUB_TOKEN"}
        os.execve(sys.executable, [sys.executable, "-m", "syncer", *argv], env)


class ReceiverServer(BaseApplication):
    """gunicorn, embedded: one worker process (gthread) serving `create_app` on WEBHOOK_PORT."""

    def __init__(self, settings: HooksSettings, log_level: str):
        self.settings = settings
        self.log_level = log_level
        super().__init__()

    def load_config(self) -> None:
        for key, value in {
            "bind": f"0.0.0.0:{self.settings.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": THREADS,
            "keepalive": 5,
            "timeout": 30,
            "graceful_timeout": 10,
            "loglevel": self.log_level.lower(),
            "errorlog": "-",
            "accesslog": None,
            "control_socket_disable": True,
        }.items():
            self.cfg.set(key, value)

    def load(self):
        engine = only_webhook_tables(make_engine(self.settings.database.url))
        log.info("receiving GitHub webhooks on port %d for %s", self.settings.port, ", ".join(self.settings.owners))
        return create_app(self.settings, engine)


def serve(settings: HooksSettings, log_level: str, restart_argv: list[str]) -> None:
    """Drop the token, check the schema, then serve until SIGTERM or SIGINT.

    `restart_argv` are this command's arguments, to re-execute it without GITHUB_TOKEN.
    """
    drop_token(restart_argv)
    mask(settings.secret.reveal())
    engine = make_engine(settings.database.url)
    try:
        revision, head = migrate.current(engine), migrate.head()
    finally:
        engine.dispose()
    if revision != head:
        raise SchemaNotCurrent(f"the database schema is at {revision or 'empty'}, not {head}; run `syncer db upgrade`")
    ReceiverServer(settings, log_level).run()
