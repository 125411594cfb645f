"""The API cannot write: its engine refuses every write on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import DBAPIError

from api import create_app
from api.state import EXTENSION
from shared.models import DatasetState, Language
from tests.helpers import url_string


@pytest.fixture
def app_engine(db_url, monkeypatch):
    """The engine `create_app()` makes for itself from DATABASE_URL, as under gunicorn."""
    monkeypatch.setenv("DATABASE_URL", url_string(db_url))
    engine = create_app().extensions[EXTENSION].engine
    yield engine
    engine.dispose()


def test_an_insert_through_the_apis_engine_fails(app_engine):
    with pytest.raises(DBAPIError, match=r"(?i)read.?only"), app_engine.begin() as conn:
        conn.execute(insert(Language).values(name="Forbidden"))


def test_an_update_through_the_apis_engine_fails(app_engine):
    with pytest.raises(DBAPIError, match=r"(?i)read.?only"), app_engine.begin() as conn:
        conn.execute(update(DatasetState).values(generation=999))


def test_the_apis_engine_can_read(app_engine):
    with app_engine.connect() as conn:
        assert conn.execute(DatasetState.__table__.select()).one().generation == 0
