"""HooksSettings: what `syncer hooks` reads, and nothing else."""

from __future__ import annotations

import pytest

from shared.config import ConfigError, HooksSettings

ENV = {"GITHUB_WEBHOOK_SECRET": "  spaces are part of it ", "GITHUB_OWNERS": "alice, acme-org"}


def test_the_defaults_and_the_secret_kept_exactly():
    settings = HooksSettings.from_env(ENV)

    assert (settings.port, settings.owners) == (8001, ("alice", "acme-org"))
    assert settings.secret.reveal() == "  spaces are part of it "
    assert settings.database.url.render_as_string() == "sqlite:///data/portfolio.db"


def test_the_secret_never_shows():
    settings = HooksSettings.from_env(ENV)
    for shown in (repr(settings), str(settings), repr(settings.secret)):
        assert "spaces are part" not in shown


def test_the_token_is_not_part_of_its_settings():
    with_token = HooksSettings.from_env({**ENV, "GITHUB_TOKEN": "ghp_ignored"})
    assert with_token == HooksSettings.from_env(ENV)


@pytest.mark.parametrize("env, variable", [
    ({"GITHUB_OWNERS": "alice"}, "GITHUB_WEBHOOK_SECRET"),
    ({**ENV, "GITHUB_WEBHOOK_SECRET": "   "}, "GITHUB_WEBHOOK_SECRET"),
    ({"GITHUB_WEBHOOK_SECRET": "s"}, "GITHUB_OWNERS"),
    ({**ENV, "WEBHOOK_PORT": "http"}, "WEBHOOK_PORT"),
    ({**ENV, "WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
    ({**ENV, "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
])
def test_a_missing_or_wrong_setting_names_its_variable(env, variable):
    with pytest.raises(ConfigError) as error:
        HooksSettings.from_env(env)
    assert error.value.variable == variable
