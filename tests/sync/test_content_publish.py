"""Saving owners, pins, READMEs, releases, social images and colours: what changed, what is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Language, Owner, Pin, Readme, Release, Repository, RepositoryLanguage
from syncer.content_publish import (
    MAX_README_BYTES,
    Content,
    OwnerProfile,
    ReadmeContent,
    ReleaseContent,
    SocialImage,
    clear_graphql_content,
    remove_unmirrored,
    save_content,
    save_language_colors,
    save_pins,
    save_profiles,
    save_readmes,
    save_releases,
    save_social_images,
)
from tests.api.data import languages, publish, repository

# The shape of GitHub's GET /users/{login} answer (docs.github.com, "Get a user"), trimmed.
OCTOCAT = {
    "login": "octocat",
    "id": 583231,
    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    "html_url": "https://github.com/octocat",
    "type": "User",
    "site_admin": False,
    "name": "The Octocat",
    "company": "@github",
    "blog": "https://github.blog",
    "location": "San Francisco",
    "email": None,
    "hireable": None,
    "bio": None,
    "twitter_username": None,
    "public_repos": 8,
    "public_gists": 8,
    "followers": 9000,
    "following": 9,
    "created_at": "2011-01-25T18:44:36Z",
    "updated_at": "2024-01-22T12:24:45Z",
}
RELEASE = ReleaseContent("v1.0.0", "First", datetime(2024, 3, 1, 12, tzinfo=timezone.utc), "https://github.com/o/r/releases/tag/v1.0.0")


def profile(owner_id: int, login: str, **fields) -> OwnerProfile:
    body = {**OCTOCAT, "id": owner_id, "login": login, "html_url": f"https://github.com/{login}", **fields}
    return OwnerProfile.from_github(body)


def write(engine, save, *args) -> bool:
    with Session(engine) as session, session.begin():
        return save(session, *args)


def stored_pins(engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Owner.login, Pin.repository_id).join(Pin, Pin.owner_id == Owner.id).order_by(Owner.login, Pin.position)
        ).all()
    pins: dict[str, list[int]] = {}
    for login, rid in rows:
        pins.setdefault(login, []).append(rid)
    return pins


def repository_ids(engine) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(Repository.id)))


@pytest.fixture
def alice(engine):
    """The owner alice (id 1) with three repositories and acme's repository 10."""
    publish(engine, *(repository(i, f"alice/r{i}") for i in (1, 2, 3)), repository(10, "acme/tool"))
    assert write(engine, save_profiles, [profile(1, "alice")])


def test_a_github_user_answer_becomes_a_profile():
    parsed = OwnerProfile.from_github(OCTOCAT)

    assert parsed.id == 583231 and parsed.login == "octocat" and parsed.type == "User"
    assert parsed.name == "The Octocat" and parsed.company == "@github" and parsed.bio is None
    assert (parsed.public_repos, parsed.followers, parsed.following) == (8, 9000, 9)
    assert parsed.created_at == datetime(2011, 1, 25, 18, 44, 36, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "body",
    [None, [], {**OCTOCAT, "id": "583231"}, {**OCTOCAT, "login": ""}, {**OCTOCAT, "type": "Bot"}],
)
def test_an_answer_without_id_login_or_known_type_is_no_profile(body):
    assert OwnerProfile.from_github(body) is None


def test_hostile_profile_fields_are_dropped_not_stored():
    parsed = OwnerProfile.from_github(
        {**OCTOCAT, "name": "x" * 300, "followers": -1, "avatar_url": "javascript:alert(1)", "created_at": "soon"}
    )

    assert parsed.name is None and parsed.followers == 0 and parsed.created_at is None
    assert parsed.avatar_url == "https://avatars.githubusercontent.com/u/583231"


def test_a_new_profile_is_a_change_and_the_same_profile_again_is_not(engine):
    assert write(engine, save_profiles, [profile(1, "alice")]) is True
    assert write(engine, save_profiles, [profile(1, "alice")]) is False

    with Session(engine) as session:
        owner = session.get(Owner, 1)
    assert owner.login == "alice" and owner.followers == 9000 and owner.pins_known is False


def test_a_changed_profile_field_is_a_change(engine):
    write(engine, save_profiles, [profile(1, "alice")])

    assert write(engine, save_profiles, [profile(1, "alice", followers=9001)]) is True
    with Session(engine) as session:
        assert session.get(Owner, 1).followers == 9001


def test_a_renamed_owner_keeps_its_id_and_pins(alice, engine):
    write(engine, save_pins, {1: [2]})

    assert write(engine, save_profiles, [profile(1, "alice-renamed")]) is True
    assert stored_pins(engine) == {"alice-renamed": [2]}


def test_two_owners_swapping_logins_in_one_run_both_keep_their_rows(engine):
    write(engine, save_profiles, [profile(1, "alice"), profile(2, "bob")])

    assert write(engine, save_profiles, [profile(1, "bob"), profile(2, "alice")]) is True
    with Session(engine) as session:
        assert dict(session.execute(select(Owner.id, Owner.login)).all()) == {1: "bob", 2: "alice"}


def test_a_login_given_to_another_account_leaves_with_the_old_row(engine):
    write(engine, save_profiles, [profile(1, "alice")])

    assert write(engine, save_profiles, [profile(7, "Alice")]) is True
    with Session(engine) as session:
        assert dict(session.execute(select(Owner.id, Owner.login)).all()) == {7: "Alice"}


def test_pins_are_stored_in_githubs_order(alice, engine):
    assert write(engine, save_pins, {1: [3, 1, 10]}) is True

    assert stored_pins(engine) == {"alice": [3, 1, 10]}


def test_the_same_pins_again_are_no_change(alice, engine):
    write(engine, save_pins, {1: [3, 1]})

    assert write(engine, save_pins, {1: [3, 1]}) is False


def test_reordered_pins_are_a_change(alice, engine):
    write(engine, save_pins, {1: [3, 1]})

    assert write(engine, save_pins, {1: [1, 3]}) is True
    assert stored_pins(engine) == {"alice": [1, 3]}


def test_unpinning_a_repository_removes_its_pin(alice, engine):
    write(engine, save_pins, {1: [3, 1, 2]})

    assert write(engine, save_pins, {1: [3, 2]}) is True
    assert stored_pins(engine) == {"alice": [3, 2]}


def test_no_pins_from_github_makes_them_known_to_be_none(alice, engine):
    assert write(engine, save_pins, {1: []}) is True
    assert write(engine, save_pins, {1: []}) is False

    with Session(engine) as session:
        assert session.get(Owner, 1).pins_known is True
    assert stored_pins(engine) == {}


def test_an_owner_left_out_of_the_pins_keeps_its_stored_pins(alice, engine):
    write(engine, save_pins, {1: [3, 1]})

    assert write(engine, save_pins, {}) is False
    assert stored_pins(engine) == {"alice": [3, 1]}


def test_at_most_six_pins_are_kept_and_repeats_count_once(engine):
    publish(engine, *(repository(i, f"alice/r{i}") for i in range(1, 9)))
    write(engine, save_profiles, [profile(1, "alice")])

    write(engine, save_pins, {1: [1, 1, 2, 3, 4, 5, 6, 7, 8]})

    assert stored_pins(engine) == {"alice": [1, 2, 3, 4, 5, 6]}


def test_pins_of_an_owner_without_a_stored_profile_are_left_out(alice, engine):
    assert write(engine, save_pins, {99: [1]}) is False
    assert stored_pins(engine) == {}


def test_a_pinned_repository_of_another_account_stays_while_pinned(alice, engine):
    write(engine, save_pins, {1: [10]})

    assert write(engine, remove_unmirrored, ["alice"]) is False
    assert repository_ids(engine) == {1, 2, 3, 10}


def test_a_repository_of_another_account_leaves_once_unpinned(alice, engine):
    write(engine, save_pins, {1: [10]})
    write(engine, save_pins, {1: []})

    assert write(engine, remove_unmirrored, ["alice"]) is True
    assert repository_ids(engine) == {1, 2, 3}


def test_an_owner_taken_out_of_github_owners_leaves_with_its_repositories(engine):
    publish(engine, repository(1, "alice/r1"), repository(20, "bob/b1"), build=lambda s: languages(s, 20, Rust=5))
    write(engine, save_profiles, [profile(1, "alice"), profile(2, "bob")])
    write(engine, save_pins, {2: [20]})

    assert write(engine, remove_unmirrored, ["Alice"]) is True

    assert repository_ids(engine) == {1}
    with Session(engine) as session:
        assert set(session.scalars(select(Owner.login))) == {"alice"}
        assert session.scalars(select(Pin)).all() == []
        assert session.scalars(select(Language)).all() == []
        assert session.scalars(select(RepositoryLanguage)).all() == []


def test_a_removed_owners_repository_another_owner_pins_stays(engine):
    publish(engine, repository(1, "alice/r1"), repository(20, "bob/b1"), repository(21, "bob/b2"))
    write(engine, save_profiles, [profile(1, "alice"), profile(2, "bob")])
    write(engine, save_pins, {1: [20]})

    write(engine, remove_unmirrored, ["alice"])

    assert repository_ids(engine) == {1, 20}


def test_removing_no_one_is_no_change(alice, engine):
    assert write(engine, remove_unmirrored, ["alice", "acme"]) is False


def test_a_readme_is_stored_and_the_same_readme_again_is_no_change(alice, engine):
    readme = ReadmeContent.rendered("<h1>r1</h1>", 11, etag='"abc"')

    assert write(engine, save_readmes, {1: readme}) is True
    assert write(engine, save_readmes, {1: readme}) is False
    with Session(engine) as session:
        stored = session.get(Readme, 1)
    assert (stored.html, stored.size, stored.reason, stored.etag) == ("<h1>r1</h1>", 11, None, '"abc"')


def test_a_changed_readme_is_a_change(alice, engine):
    write(engine, save_readmes, {1: ReadmeContent.rendered("<p>a</p>", 8)})

    assert write(engine, save_readmes, {1: ReadmeContent.rendered("<p>b</p>", 8)}) is True


def test_a_readme_that_is_gone_is_stored_as_missing(alice, engine):
    write(engine, save_readmes, {1: ReadmeContent.rendered("<p>a</p>", 8)})

    assert write(engine, save_readmes, {1: ReadmeContent.missing()}) is True
    with Session(engine) as session:
        stored = session.get(Readme, 1)
    assert (stored.html, stored.reason) == (None, "missing")


def test_a_readme_larger_than_1_mib_is_not_stored(alice, engine):
    html = "<p>" + "x" * MAX_README_BYTES + "</p>"

    write(engine, save_readmes, {1: ReadmeContent.rendered(html, len(html))})

    with Session(engine) as session:
        stored = session.get(Readme, 1)
    assert (stored.html, stored.size, stored.reason) == (None, len(html), "too_large")


def test_a_readme_near_1_mib_round_trips_on_every_backend(alice, engine):
    html = "<p>" + "é" * (MAX_README_BYTES // 2 - 8) + "</p>"

    write(engine, save_readmes, {1: ReadmeContent.rendered(html, len(html.encode()))})

    with Session(engine) as session:
        assert session.get(Readme, 1).html == html


def test_a_repository_left_out_keeps_its_readme(alice, engine):
    write(engine, save_readmes, {1: ReadmeContent.rendered("<p>a</p>", 8)})

    assert write(engine, save_readmes, {2: ReadmeContent.missing()}) is True
    with Session(engine) as session:
        assert session.get(Readme, 1).html == "<p>a</p>"


def test_content_of_an_unpublished_repository_is_left_out(alice, engine):
    assert write(engine, save_readmes, {404: ReadmeContent.missing()}) is False
    assert write(engine, save_releases, {404: RELEASE}) is False
    assert write(engine, save_social_images, {404: SocialImage("https://x", True)}) is False


def test_readme_and_release_leave_with_their_repository(alice, engine):
    write(engine, save_readmes, {1: ReadmeContent.rendered("<p>a</p>", 8)})
    write(engine, save_releases, {1: RELEASE})

    with Session(engine) as session, session.begin():
        session.delete(session.get(Repository, 1))

    with Session(engine) as session:
        assert session.get(Readme, 1) is None and session.get(Release, 1) is None


def test_a_release_is_stored_and_the_same_release_again_is_no_change(alice, engine):
    assert write(engine, save_releases, {1: RELEASE}) is True
    assert write(engine, save_releases, {1: RELEASE}) is False

    with Session(engine) as session:
        stored = session.get(Release, 1)
    assert (stored.tag, stored.name, stored.published_at, stored.url) == (
        RELEASE.tag, RELEASE.name, RELEASE.published_at, RELEASE.url
    )


def test_a_new_latest_release_is_a_change(alice, engine):
    write(engine, save_releases, {1: RELEASE})

    assert write(engine, save_releases, {1: replace(RELEASE, tag="v1.1.0")}) is True
    with Session(engine) as session:
        assert session.get(Release, 1).tag == "v1.1.0"


def test_no_release_removes_the_stored_one(alice, engine):
    write(engine, save_releases, {1: RELEASE})

    assert write(engine, save_releases, {1: None}) is True
    assert write(engine, save_releases, {1: None}) is False
    with Session(engine) as session:
        assert session.get(Release, 1) is None


def test_a_repository_left_out_keeps_its_release(alice, engine):
    write(engine, save_releases, {1: RELEASE})

    assert write(engine, save_releases, {}) is False
    with Session(engine) as session:
        assert session.get(Release, 1) is not None


def test_a_social_image_is_stored_and_the_same_again_is_no_change(alice, engine):
    image = SocialImage("https://repository-images.githubusercontent.com/1/abc", True)

    assert write(engine, save_social_images, {1: image}) is True
    assert write(engine, save_social_images, {1: image}) is False
    assert write(engine, save_social_images, {1: replace(image, custom=False)}) is True
    with Session(engine) as session:
        stored = session.get(Repository, 1)
    assert (stored.social_image_url, stored.social_image_custom) == (image.url, False)


def test_language_colours_are_stored_on_the_languages_some_repository_has(engine):
    publish(engine, repository(1, "alice/r1"), build=lambda s: languages(s, 1, Python=10, Shell=2))

    assert write(engine, save_language_colors, {"Python": "#3572A5", "Shell": None, "Go": "#00ADD8"}) is True
    assert write(engine, save_language_colors, {"Python": "#3572A5", "Shell": None}) is False
    with Session(engine) as session:
        assert dict(session.execute(select(Language.name, Language.color)).all()) == {"Python": "#3572A5", "Shell": None}


def test_a_colour_that_is_not_rrggbb_is_stored_as_none(engine):
    publish(engine, repository(1, "alice/r1"), build=lambda s: languages(s, 1, Python=10))
    write(engine, save_language_colors, {"Python": "#3572A5"})

    assert write(engine, save_language_colors, {"Python": "red;background:url(x)"}) is True
    with Session(engine) as session:
        assert session.scalars(select(Language.color)).one() is None


def test_a_run_without_token_forgets_graphql_values(alice, engine):
    write(engine, save_pins, {1: [1]})
    write(engine, save_social_images, {1: SocialImage("https://x.example/i.png", False)})

    assert write(engine, clear_graphql_content) is True
    assert write(engine, clear_graphql_content) is False
    with Session(engine) as session:
        assert session.get(Owner, 1).pins_known is False
        assert session.get(Repository, 1).social_image_url is None
    assert stored_pins(engine) == {}


def test_save_content_writes_everything_and_repeating_it_changes_nothing(engine):
    publish(engine, repository(1, "alice/r1"), repository(10, "acme/tool"), repository(20, "bob/b1"))
    content = Content(
        owners=["alice"],
        profiles=[profile(1, "alice")],
        pins={1: [10, 1]},
        readmes={1: ReadmeContent.rendered("<p>hi</p>", 9)},
        releases={10: RELEASE, 1: None},
        social_images={1: SocialImage("https://x.example/i.png", True)},
    )

    assert write(engine, save_content, content) is True
    assert write(engine, save_content, content) is False
    assert repository_ids(engine) == {1, 10}
    assert stored_pins(engine) == {"alice": [10, 1]}


def test_save_content_without_owners_removes_no_one(engine):
    publish(engine, repository(1, "alice/r1"), repository(20, "bob/b1"))

    assert write(engine, save_content, Content(profiles=[profile(1, "alice")])) is True
    assert repository_ids(engine) == {1, 20}
