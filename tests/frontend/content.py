"""The starter's test data: content the fake GitHub serves to the sync, and curated extras as an owner adds them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.api.data import bump_generation, extra

OWNER = "alice"
OWNER_NAME = "Alice Example"
OWNER_BIO = "Builds small tools that do one thing well."
DEMO_URL = "https://demo.example.com/"
VIDEO_URL = "https://videos.example.com/walkthrough"
SCRIPT_URL = "javascript:alert(document.domain)"  # a link no page may make clickable
RELEASE_TAG = "v2.1.0"
RELEASE_NAME = "Second spring"
README = '<h2>Usage</h2><p>Run <code>rocket --help</code>.</p><ul><li>fast</li><li>small</li></ul>'
# A README as GitHub might render a hostile one: each of these would run script if it reached a page as is.
HOSTILE_README = (
    '<h2>Usage</h2><p>Run it.</p><img src="x" onerror="document.title=\'pwned\';alert(1)">'
    "<script>alert(2)</script><a href=\"javascript:alert(3)\" onclick=\"alert(4)\">docs</a>"
)


@dataclass(frozen=True)
class Content:
    """The repositories the tests look at: featured (release, README), pinned (in order), hostile README."""

    featured: str
    pinned: tuple[str, ...]
    hostile_readme: str


def serve_content(fake) -> Content:
    """Give the fake GitHub's `alice` a profile, two pins, READMEs and a release, for the sync to fetch."""
    public = sorted(
        (repo for repo in fake.state() if not repo["private"] and repo["visibility"] == "public"),
        key=lambda repo: (repo["stargazers_count"], repo["id"]),
    )
    featured = max(public, key=lambda repo: (len(repo["languages"]), repo["full_name"]))
    others = [repo for repo in public if repo is not featured]
    pinned, hostile = others[:2], others[2]  # the pins have the fewest stars: they must lead anyway
    fake.call("set_profile", OWNER, name=OWNER_NAME, bio=OWNER_BIO)
    fake.call("pin", OWNER, [repo["id"] for repo in pinned])
    fake.call("set_readme", featured["id"], README)
    fake.call("set_readme", hostile["id"], HOSTILE_README)
    fake.call("set_release", featured["id"], RELEASE_TAG, name=RELEASE_NAME)
    return Content(featured["full_name"], tuple(repo["full_name"] for repo in pinned), hostile["full_name"])


def add_curated(engine: Engine, content: Content) -> None:
    """Feature one repository with demo and video links; give a pinned one `javascript:` links."""
    with Session(engine) as session, session.begin():
        session.add(extra(content.featured, featured=True, demo_url=DEMO_URL, video_urls=[VIDEO_URL]))
        session.add(extra(content.pinned[0], demo_url=SCRIPT_URL, video_urls=[SCRIPT_URL]))
        bump_generation(session)
