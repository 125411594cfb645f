"""The read-only JSON API the portfolio frontend reads: `create_app()` builds it (gunicorn 'api:create_app()')."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from api import errors, http, status, views
from api.cache import DatasetCache
from api.state import EXTENSION, ApiState
from shared.config import ApiSettings, DatabaseSettings
from shared.db import make_engine


def create_app(settings: ApiSettings | None = None, engine: Engine | None = None) -> Flask:
    """An app answering from `engine` (default: a read-only engine on DATABASE_URL).

    Settings are read from the environment once, here, unless given.
    """
    settings = ApiSettings.from_env() if settings is None else settings
    if engine is None:
        engine = make_engine(DatabaseSettings.from_env().url, read_only=True)
    app = Flask(__name__)
    api_state = ApiState(settings, engine, DatasetCache(engine, settings.generation_check_interval))
    app.extensions[EXTENSION] = api_state
    errors.install(app)
    answered = http.AnswerFromMemory(app.wsgi_app, api_state.dataset_cache.rendered, api_state.cache_control)
    app.wsgi_app = http.HeaderMiddleware(answered, settings.cors_origins)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(status.blueprint)
    return app
