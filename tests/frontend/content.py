"""What the starter's test database holds besides the sync: curated extras and the rows a content sync writes."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.models import Language, Repository
from tests.api.data import bump_generation, extra, owner, readme, release

OWNER = "alice"
OWNER_ID = 4242
OWNER_BIO = "Builds small tools that do one thing well."
DEMO_URL = "https://demo.example.com/"
VIDEO_URL = "https://videos.example.com/walkthrough"
SCRIPT_URL = "javascript:alert(document.domain)"  # a link no page may make clickable
RELEASE_TAG = "v2.1.0"
RELEASE_NAME = "Second spring"
# A README as GitHub might render a hostile one: each of these would run script if it reached a page as is.
HOSTILE_README = (
    '<h2>Usage</h2><p>Run it.</p><img src="x" onerror="document.title=\'pwned\';alert(1)">'
    "<script>alert(2)</script><a href=\"javascript:alert(3)\" onclick=\"alert(4)\">docs</a>"
)
# What a sanitized README looks like: GitHub's markup, no script.
PLAIN_README = '<h2>Usage</h2><p>Run <code>rocket --help</code>.</p><ul><li>fast</li><li>small</li></ul>'
SANITIZER = "syncer.readme"  # the content sync's nh3 sanitizer (branch content-sync)
# GitHub's colours (linguist) for the fake GitHub's languages, as a content sync stores them.
GITHUB_COLORS = {
    "Python": "#3572A5", "JavaScript": "#f1e05a", "TypeScript": "#3178c6", "Go": "#00ADD8", "Rust": "#dea584",
    "C": "#555555", "C++": "#f34b7d", "Shell": "#89e051", "HTML": "#e34c26", "CSS": "#663399",
    "Dockerfile": "#384d54", "Makefile": "#427819", "Java": "#b07219", "Ruby": "#701516",
    "Jupyter Notebook": "#DA5B0B",
}  # fmt: skip


@dataclass(frozen=True)
class Content:
    """The repositories the tests look for: the featured one (with release and README) and the pinned ones."""

    featured: str
    pinned: tuple[str, ...]
    hostile_readme: str | None  # has the sanitized hostile README; None when the sanitizer is not installed


def sanitized(raw: str, html_url: str) -> str:
    """`raw` through the content sync's sanitizer, as the sync stores a README."""
    from syncer.readme import sanitize_readme

    return sanitize_readme(raw, html_url, "main").html


def has_sanitizer() -> bool:
    return importlib.util.find_spec(SANITIZER) is not None


def add_curated_and_content(engine: Engine) -> Content:
    """Feature and pin a few public repositories, give the owner a profile, colours, a release and READMEs."""
    with Session(engine) as session, session.begin():
        public = session.scalars(
            select(Repository)
            .where(Repository.private.is_(False), Repository.visibility == "public")
            .order_by(Repository.stargazers_count, Repository.id)
        ).all()
        featured = max(public, key=lambda repo: (len(repo.languages), repo.full_name))
        pinned = [repo for repo in public if repo is not featured][:2]  # the fewest stars: pins must lead anyway
        session.add(extra(featured.full_name, featured=True, demo_url=DEMO_URL, video_urls=[VIDEO_URL]))
        session.add(extra(pinned[0].full_name, demo_url=SCRIPT_URL, video_urls=[SCRIPT_URL]))
        session.add(owner(OWNER_ID, OWNER, *(repo.id for repo in pinned), name="Alice Example", bio=OWNER_BIO))
        session.add(release(featured.id, RELEASE_TAG, name=RELEASE_NAME, url=f"{featured.html_url}/releases/tag/v2"))
        session.add(readme(featured.id, PLAIN_README))
        hostile = None
        if has_sanitizer():
            hostile = next(repo for repo in public if repo is not featured and repo not in pinned)
            session.add(readme(hostile.id, sanitized(HOSTILE_README, hostile.html_url)))
        for language in session.scalars(select(Language)):
            language.color = GITHUB_COLORS.get(language.name)
        bump_generation(session)
        return Content(
            featured=featured.full_name,
            pinned=tuple(repo.full_name for repo in pinned),
            hostile_readme=hostile.full_name if hostile else None,
        )
