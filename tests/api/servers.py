"""Real servers for the tests that need sockets: the API under gunicorn, and a static file server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy.engine import URL

from tests.helpers import ROOT, free_port, syncer_env

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))



def wait_until_answers(url: str, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered, if not with a 200
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {process.stderr.read()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def gunicorn(db_url: URL, *args: str, **env: str) -> Iterator[str]:
    """`gunicorn 'api:create_app()'` from the repository root (so with gunicorn.conf.py); yields its base URL."""
    port = env.pop("PORT", None) or str(free_port())
    process = subprocess.Popen(
        [GUNICORN, *args, "api:create_app()"],
        cwd=ROOT,
        env=syncer_env(db_url, PORT=port, WEB_CONCURRENCY="1", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(base + "/healthz", process=process)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


@contextmanager
def static_files(directory: Path) -> Iterator[str]:
    """Serve `directory` on a loopback port of its own (a browser origin of its own); yields its base URL."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
