"""gunicorn settings for the read API: `gunicorn 'api:create_app()'` picks this file up from the working directory.

PORT (default 8000) and WEB_CONCURRENCY (default 2 worker processes) follow the usual PaaS
conventions; anything else can be overridden on the command line or in GUNICORN_CMD_ARGS,
e.g. `GUNICORN_CMD_ARGS="--access-logfile -"` for an access log on stdout.
"""

import sys

from shared.config import ApiSettings, ConfigError, DatabaseSettings, ServerSettings

# A wrong setting stops the master with one line, before any worker tries to boot.
try:
    server = ServerSettings.from_env()
    ApiSettings.from_env()
    DatabaseSettings.from_env()
except ConfigError as error:
    sys.exit(f"error: {error}")

bind = f"0.0.0.0:{server.port}"
workers = server.web_concurrency
# Threads per worker: answers come from memory, so one spare thread is enough to keep answering
# while the other waits on the database after a new generation; more only contend for the GIL.
worker_class = "gthread"
threads = 2
# Each worker builds its own app, engine and cache after the fork; nothing is shared.
preload_app = False
keepalive = 5
# One listening socket per worker (SO_REUSEPORT): the kernel spreads connections evenly. With one
# shared socket, kept-alive connections pile up on whichever worker accepts first, and one core
# idles while the other queues (measured: 32 connections on one worker halve the throughput).
# Mind that another process of the same user binding the same port would share its traffic.
reuse_port = True
# Several gunicorns on one host (two sites, tests, the benchmark) would share the default path.
control_socket_disable = True
