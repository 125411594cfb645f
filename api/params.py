"""Check a query string against an operation's parameters; a 400 names the parameter and what it allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from api.problems import ApiError

BOOLEANS = {"true": True, "false": False}


def _invalid(name: str, expected: str, raw: str) -> ApiError:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return ApiError(400, "invalid_parameter", f"{name}: expected {expected} (got {shown!r})")


@dataclass(frozen=True)
class Rule:
    """One query parameter as an OpenAPI schema describes it: a string, an integer or a boolean."""

    name: str
    schema: Mapping[str, Any]

    def parse(self, raw: str) -> Any:
        kind = self.schema["type"]
        if kind == "boolean":
            if raw not in BOOLEANS:
                raise _invalid(self.name, "one of true, false", raw)
            return BOOLEANS[raw]
        if kind == "integer":
            low, high = self.schema["minimum"], self.schema["maximum"]
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and low <= int(raw) <= high):
                raise _invalid(self.name, f"an integer from {low} to {high}", raw)
            return int(raw)
        if "enum" in self.schema:
            if raw not in self.schema["enum"]:
                raise _invalid(self.name, "one of " + ", ".join(self.schema["enum"]), raw)
            return raw
        shortest, longest = self.schema.get("minLength", 0), self.schema["maxLength"]
        if not shortest <= len(raw) <= longest:
            raise _invalid(self.name, f"text of {shortest} to {longest} characters", raw)
        return raw


@dataclass(frozen=True)
class QueryRules:
    """The query parameters one operation accepts."""

    rules: Mapping[str, Rule]
    defaults: Mapping[str, Any]

    @classmethod
    def from_parameters(cls, parameters: Iterable[Mapping[str, Any]]) -> QueryRules:
        rules = {p["name"]: Rule(p["name"], p["schema"]) for p in parameters}
        return cls(rules, {name: rule.schema.get("default") for name, rule in rules.items()})

    def parse(self, args: MultiDict[str, str]) -> dict[str, Any]:
        """The given parameters, checked and converted; absent ones get their documented default."""
        values = dict(self.defaults)
        for name in args:
            rule = self.rules.get(name)
            if rule is None:
                raise self._unknown(name)
            given = args.getlist(name)
            if len(given) > 1:
                raise ApiError(400, "invalid_parameter", f"{name}: give it once (got {len(given)} values)")
            values[name] = rule.parse(given[0])
        return values

    def as_query(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The values that differ from their defaults, written as they would be in a query string."""
        return {
            name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items()
            if value is not None and value != self.defaults[name]
        }

    def _unknown(self, name: str) -> ApiError:
        shown = name if len(name) <= 40 else name[:40] + "…"
        if self.rules:
            allowed = "allowed: " + ", ".join(self.rules)
        else:
            allowed = "this endpoint takes no query parameters"
        return ApiError(400, "unknown_parameter", f"unknown query parameter {shown!r}; {allowed}")
