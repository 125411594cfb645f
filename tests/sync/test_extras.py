"""Curated extras: validated TOML in, one transaction, TOML out; syncs never touch them."""

from __future__ import annotations

import tomllib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import DatasetState, RepositoryExtra
from syncer.extras import ExtrasError, import_extras, parse_extras
from tests.helpers import dump_dataset, run_syncer, syncer_env

GOOD = """
["alice/rocket"]
demo_url = "https://rocket.example.com"
video_urls = ["https://youtu.be/abc", "https://vimeo.com/1"]
featured = true
order = 1
description = "🚀 Curated — 日本語 <b>ok</b>"

["alice/hidden-thing"]
hidden = true
"""


def count_extras(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(RepositoryExtra))


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ('["alice/x"]\ndemo_url = "not a url"\n', ['"alice/x"', '"demo_url"']),
        ('["alice/x"]\nvideo_urls = "https://one.example"\n', ['"alice/x"', '"video_urls"']),
        ('["alice/x"]\nfeatured = "yes"\n', ['"alice/x"', '"featured"']),
        ('["alice/x"]\norder = 1.5\n', ['"alice/x"', '"order"']),
        ('["alice/x"]\ncolour = "red"\n', ['"alice/x"', '"colour"']),
        ('["not a repo"]\nfeatured = true\n', ['"not a repo"']),
        ('"alice/x" = 3\n', ['"alice/x"']),
        ('["alice/x"\nfeatured = true\n', ["not valid TOML"]),
    ],
)
def test_bad_entries_name_the_entry_and_field(document, names):
    with pytest.raises(ExtrasError) as error:
        parse_extras(document.encode())
    for name in names:
        assert name in str(error.value)


def test_invalid_utf8_and_huge_files_are_refused():
    with pytest.raises(ExtrasError, match="UTF-8"):
        parse_extras(b'["alice/x"]\ndescription = "\xff\xfe"\n')
    with pytest.raises(ExtrasError, match="at most"):
        parse_extras(b"#" * (6 * 1024 * 1024))


def test_a_bad_file_writes_nothing(engine, db_url, tmp_path):
    import_extras(engine, parse_extras(GOOD.encode()))
    before = dump_dataset(engine)
    bad = tmp_path / "extras.toml"
    bad.write_text(GOOD + '\n["alice/third"]\nfeatured = 1\n')
    result = run_syncer("extras", "import", str(bad), env=syncer_env(db_url))
    assert result.returncode == 1
    assert '"alice/third"' in result.stderr and '"featured"' in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert dump_dataset(engine) == before


def test_import_warns_about_unknown_repositories_and_keeps_them(fake, sync, engine, db_url, tmp_path):
    rid = fake.add_repo("alice", "rocket")
    assert sync().ok
    path = tmp_path / "extras.toml"
    path.write_text(GOOD, encoding="utf-8")
    result = run_syncer("extras", "import", str(path), env=syncer_env(db_url))
    assert result.returncode == 0, result.stderr
    assert "alice/hidden-thing is not in the database yet" in result.stderr
    assert "alice/rocket" not in result.stderr
    with Session(engine) as session:
        rows = {r.full_name: r for r in session.scalars(select(RepositoryExtra))}
        generation = session.get(DatasetState, 1).generation
    assert rows["alice/rocket"].repository_id == rid and rows["alice/hidden-thing"].repository_id is None
    assert rows["alice/rocket"].description == "🚀 Curated — 日本語 <b>ok</b>"
    assert generation == 2  # the sync made 1, the import 2

    hidden = fake.add_repo("alice", "hidden-thing")
    assert sync().ok
    with Session(engine) as session:
        assert session.scalars(select(RepositoryExtra).where(RepositoryExtra.full_name == "alice/hidden-thing")).one().repository_id == hidden


def test_importing_the_same_file_again_changes_nothing(engine):
    entries = parse_extras(GOOD.encode())
    first = import_extras(engine, entries)
    second = import_extras(engine, entries)
    assert second.generation == first.generation and count_extras(engine) == 2


def test_replace_removes_entries_missing_from_the_file(engine):
    import_extras(engine, parse_extras(GOOD.encode()))
    result = import_extras(engine, parse_extras(b'["alice/rocket"]\nfeatured = true\n'), replace=True)
    assert result.removed == 1 and count_extras(engine) == 1


def test_export_round_trips_and_uses_current_names(fake, sync, engine, db_url):
    rid = fake.add_repo("alice", "rocket")
    assert sync().ok
    import_extras(engine, parse_extras(GOOD.encode()))
    fake.rename_repo(rid, "rocket-2")
    assert sync().ok
    result = run_syncer("extras", "export", env=syncer_env(db_url))
    assert result.returncode == 0, result.stderr
    exported = tomllib.loads(result.stdout)
    assert set(exported) == {"alice/rocket-2", "alice/hidden-thing"}
    assert exported["alice/rocket-2"] == tomllib.loads(GOOD)["alice/rocket"]
    assert {e.full_name for e in parse_extras(result.stdout.encode())} == {"alice/rocket-2", "alice/hidden-thing"}


def test_a_sync_never_overwrites_extras(fake, sync, engine):
    rid = fake.add_repo("alice", "rocket", description="from GitHub")
    assert sync().ok
    import_extras(engine, parse_extras(GOOD.encode()))
    with Session(engine) as session:
        before = [tuple(r) for r in session.execute(select(RepositoryExtra.__table__)).all()]
    fake.update_repo(rid, description="changed upstream", stars=10)
    fake.push(rid)
    assert sync().ok
    with Session(engine) as session:
        after = [tuple(r) for r in session.execute(select(RepositoryExtra.__table__)).all()]
    assert after == before
