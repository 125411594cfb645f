"""What one app instance holds: its settings, its read-only engine, its dataset cache and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy import Engine

from api import openapi
from api.cache import DatasetCache
from api.http import CachePolicy
from api.params import QueryRules
from api.rendered import Rendered
from shared.config import ApiSettings

EXTENSION = "portfolio_api"


@dataclass(frozen=True)
class ApiState:
    settings: ApiSettings
    engine: Engine
    dataset_cache: DatasetCache
    rules: dict[str, QueryRules] = field(
        default_factory=lambda: {operation: openapi.query_rules(operation) for operation in openapi.operations()}
    )
    openapi_document: Rendered = field(default_factory=lambda: Rendered.of(openapi.document()))

    @cached_property
    def cache_control(self) -> str:
        """The Cache-Control of the published data's answers (the status and health checks say their own)."""
        settings = self.settings
        return CachePolicy(settings.cache_max_age, settings.stale_while_revalidate, settings.stale_if_error).header


def state() -> ApiState:
    return current_app.extensions[EXTENSION]
