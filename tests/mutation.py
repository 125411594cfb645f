"""Mutation testing (`make mutation`): mutmut on each module of setup.cfg's [mutation] with its own tests.

Each module is mutated in a scratch copy of the project under .mutation/ (mutmut keeps its state
in the working directory, and each module has its own test selection), then its score is printed:
the share of mutants the tests kill (a timeout counts as killed; a mutant no test reaches does not).
"""

from __future__ import annotations

import argparse
import configparser
import os
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
COPIED = ("shared", "syncer", "api", "tests", "pyproject.toml")
KILLED = ("killed", "timeout", "caught by type check")
SQLITE_ONLY = ["-k", "not postgresql and not mariadb"]


def registry(setup_cfg: configparser.ConfigParser) -> dict[str, list[str]]:
    """setup.cfg's [mutation]: each module and the pytest arguments choosing its tests (SQLite unless a -k says)."""
    table = {}
    for module, line in setup_cfg["mutation"].items():
        selection = shlex.split(line)
        table[module] = selection if "-k" in selection else selection + SQLITE_ONLY
    return table


def prepare(module: str, tests: list[str], setup_cfg: configparser.ConfigParser) -> Path:
    """A fresh copy of the project whose setup.cfg tells mutmut to mutate `module` against `tests`."""
    work = SCRATCH / module.replace("/", ".").removesuffix(".py")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, work / name)
    config = configparser.ConfigParser(interpolation=None)
    config.read_dict(setup_cfg)
    config["mutmut"]["only_mutate"] = "\n" + module
    config["mutmut"]["pytest_add_cli_args_test_selection"] = "\n" + "\n".join(tests)
    with (work / "setup.cfg").open("w") as file:
        config.write(file)
    return work


def mutate(work: Path, jobs: int) -> Counter[str]:
    """Run mutmut in `work`; how many of its mutants ended in each status."""
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([mutmut, "run", "--max-children", str(jobs)], cwd=work, check=True)
    listing = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, check=True,
                             capture_output=True, text=True).stdout
    statuses = Counter()
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[status] += 1
            if status not in KILLED:
                survivors.append(f"{name}: {status}")
    (work / "survivors.txt").write_text("".join(f"{line}\n" for line in survivors))
    return statuses


def score_line(module: str, statuses: Counter[str]) -> str:
    total = sum(statuses.values())
    killed = sum(statuses[status] for status in KILLED)
    score = 100 * killed / total if total else 0.0
    return f"{module:<24} {total:>7} {killed:>7} {total - killed:>9} {score:>6.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules of setup.cfg's [mutation] to test (default: all)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")),
                        help="mutants tested at once (default: $MUTATION_JOBS or 2)")
    args = parser.parse_args(argv)
    setup_cfg = configparser.ConfigParser(interpolation=None)
    setup_cfg.read(ROOT / "setup.cfg")
    table = registry(setup_cfg)
    unknown = [module for module in args.modules if module not in table]
    if unknown:
        parser.error(f"not in setup.cfg's [mutation]: {', '.join(unknown)} (known: {', '.join(table)})")
    results = {}
    for module in args.modules or table:
        work = prepare(module, table[module], setup_cfg)
        results[module] = mutate(work, args.jobs)
    print(f"\n{'module':<24} {'mutants':>7} {'killed':>7} {'surviving':>9} {'score':>8}")
    for module, statuses in results.items():
        print(score_line(module, statuses))
    print(f"\nsurvivors: {SCRATCH}/<module>/survivors.txt; equivalent ones: tests/mutation-equivalents.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
