"""What the starter's test database holds besides the sync: curated extras, as a portfolio owner adds them."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.models import Repository
from tests.api.data import bump_generation, extra

OWNER = "alice"
DEMO_URL = "https://demo.example.com/"


def add_curated_and_content(engine: Engine) -> str:
    """Feature the public repository with the most languages and give it a demo link; returns its full_name."""
    with Session(engine) as session, session.begin():
        public = session.scalars(
            select(Repository).where(Repository.private.is_(False), Repository.visibility == "public")
        ).all()
        chosen = max(public, key=lambda repo: (len(repo.languages), repo.full_name))
        session.add(extra(chosen.full_name, featured=True, demo_url=DEMO_URL))
        bump_generation(session)
        return chosen.full_name
