"""The Nuxt starter (examples/nuxt) as its users run it: locked install, `nuxi build`, the built server."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.api.servers import wait_until_answers
from tests.helpers import ROOT, free_port

STARTER = ROOT / "examples" / "nuxt"
BUILD_INPUTS = ("app", "public", "nuxt.config.ts", "package-lock.json", "tsconfig.json")
BUILD_STAMP = STARTER / ".output" / ".built-from"


def node_env(**extra: str) -> dict[str, str]:
    """The environment for npm and node: the runner's, without Nuxt or Nitro settings leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUXT_", "NITRO_"))}
    env.update(NUXT_TELEMETRY_DISABLED="1", **extra)
    return env


def install() -> None:
    """`make nuxt-starter`: `npm ci`, skipped while node_modules is current with the lock file (as in CI)."""
    subprocess.run(["make", "--no-print-directory", "nuxt-starter"], cwd=ROOT, check=True, env=node_env(),
                   capture_output=True)


def sources_digest() -> str:
    digest = hashlib.sha256()
    for name in BUILD_INPUTS:
        path = STARTER / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(STARTER)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def build() -> Path:
    """`nuxi build` unless .output was built from these very sources; returns the server entry point."""
    wanted = sources_digest()
    entry = STARTER / ".output" / "server" / "index.mjs"
    if entry.is_file() and BUILD_STAMP.is_file() and BUILD_STAMP.read_text() == wanted:
        return entry
    result = subprocess.run(
        [str(STARTER / "node_modules" / ".bin" / "nuxi"), "build"],
        cwd=STARTER,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nuxi build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    BUILD_STAMP.write_text(wanted)
    return entry


@contextmanager
def starter_server(entry: Path, api: str, port: int | None = None) -> Iterator[str]:
    """`node .output/server/index.mjs` with PORT and NUXT_PUBLIC_PORTFOLIO_API; yields its base URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(entry)],
        cwd=STARTER,
        env=node_env(PORT=str(port), HOST="127.0.0.1", NUXT_PUBLIC_PORTFOLIO_API=api),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(base + "/_nuxt/", process=process)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def generate_types(output: Path) -> None:
    """openapi-typescript over api/openapi.json, as `npm run types` does, into `output`."""
    subprocess.run(
        [str(STARTER / "node_modules" / ".bin" / "openapi-typescript"), str(ROOT / "api" / "openapi.json"),
         "--output", str(output)],
        cwd=STARTER,
        env=node_env(),
        check=True,
        capture_output=True,
    )


def typecheck() -> subprocess.CompletedProcess:
    """`nuxi typecheck` (vue-tsc over the pages, components and the generated types)."""
    return subprocess.run(
        [str(STARTER / "node_modules" / ".bin" / "nuxi"), "typecheck"],
        cwd=STARTER,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
