"""The webhook receiver's WSGI app: verify, filter, and record a refresh request per accepted delivery."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from shared.config import HooksSettings
from syncer.hooks import deliveries, events
from syncer.hooks.deliveries import NewRequest
from syncer.hooks.signature import verify

log = logging.getLogger("syncer.hooks")

MAX_BODY_BYTES = 1024 * 1024
PRUNE_EVERY_SECONDS = 60.0
FOREIGN_OWNERS_REMEMBERED = 1000
EXTENSION = "portfolio_hooks"

blueprint = Blueprint("hooks", __name__)


class Receiver:
    """What the views share: settings, the engine, and the little state one process keeps."""

    def __init__(self, settings: HooksSettings, engine: Engine):
        self.settings = settings
        self.engine = engine
        self.owners = {login.lower(): login for login in settings.owners}
        self._lock = threading.Lock()
        self._foreign_logged: set[str] = set()
        self._pruned_at = float("-inf")

    def our_owner(self, logins: tuple[str, ...]) -> str | None:
        """The configured spelling of the first of `logins` that is one of GITHUB_OWNERS."""
        return next((self.owners[login.lower()] for login in logins if login.lower() in self.owners), None)

    def log_foreign_once(self, login: str, event: str) -> None:
        key = login.lower()
        with self._lock:
            if key in self._foreign_logged or len(self._foreign_logged) >= FOREIGN_OWNERS_REMEMBERED:
                return
            self._foreign_logged.add(key)
        log.info("ignoring deliveries about %s (not in GITHUB_OWNERS), first seen with a %s event", login, event)

    def prune_if_due(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
                return
            self._pruned_at = time.monotonic()
        try:
            gone, finished = deliveries.prune(self.engine, now)
        except OperationalError as error:  # a lock wait or deadlock: the next delivery prunes instead
            log.warning("could not prune old webhook deliveries: %s", str(error.orig).splitlines()[0])
            with self._lock:
                self._pruned_at = float("-inf")
            return
        if gone or finished:
            log.info("pruned %d old webhook deliveries and %d finished refresh requests", gone, finished)


def receiver() -> Receiver:
    return current_app.extensions[EXTENSION]


def answer(code: int, **body) -> Response:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def error(status: int, code: str, message: str) -> Response:
    return answer(status, error={"code": code, "message": message})


def read_body() -> bytes:
    """The raw body; 413 past MAX_BODY_BYTES, by Content-Length before reading, else (chunked)
    by reading one byte more than allowed and no further."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    body = get_input_stream(request.environ, max_content_length=MAX_BODY_BYTES + 1).read()
    if len(body) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    return body


@blueprint.post("/webhooks/github")
def receive() -> Response:
    """Verification first; then what the event needs; then one transaction recording it."""
    hooks = receiver()
    body = read_body()
    if not verify(hooks.settings.secret, body, request.headers.get("X-Hub-Signature-256")):
        return error(401, "bad_signature", "X-Hub-Signature-256 is missing or does not match the body")
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    if not 0 < len(event) <= 50 or not 0 < len(delivery_id) <= 100:
        return error(400, "bad_headers", "X-GitHub-Event and X-GitHub-Delivery are required")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return error(400, "not_json", "the body is not JSON; set the webhook's content type to application/json")
    if not isinstance(payload, dict):
        return error(400, "bad_payload", "the payload is not a JSON object")
    action = events.action_of(payload)
    now = datetime.now(timezone.utc)
    if event == "ping":
        deliveries.record_delivery(hooks.engine, delivery_id, event, None, [], now)
        return answer(200, status="pong")
    if not events.wanted(event, action):
        return answer(202, status="ignored", reason="this event does not change what is mirrored")
    try:
        targets = events.targets(event, payload)
    except events.BadPayload as problem:
        return error(400, "bad_payload", f"{event}: {problem}")
    requests = []
    for target in targets:
        owner = hooks.our_owner(target.logins)
        if owner is None:
            hooks.log_foreign_once(target.logins[0], event)
        else:
            requests.append(NewRequest(owner, target.repository_id, target.name, target.full_name))
    if not requests:
        return answer(202, status="ignored", reason="not about an owner in GITHUB_OWNERS")
    if not deliveries.record_delivery(hooks.engine, delivery_id, event, action, requests, now):
        return answer(200, status="duplicate")
    what = ", ".join(r.full_name or f"every repository of {r.owner_login}" for r in requests)
    log.info("delivery %s: %s%s for %s recorded", delivery_id, event, f".{action}" if action else "", what)
    hooks.prune_if_due(now)
    return answer(202, status="recorded", requests=len(requests))


@blueprint.get("/healthz")
def health() -> Response:
    try:
        with receiver().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return error(503, "database_unavailable", "the database does not answer")
    return answer(200, status="ok")


def create_app(settings: HooksSettings, engine: Engine) -> Flask:
    """The receiver, recording into `engine` (which `syncer hooks` limits to the two webhook tables)."""
    app = Flask(__name__)
    app.extensions[EXTENSION] = Receiver(settings, engine)
    app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def _http_error(exception: HTTPException) -> Response:
        code = (exception.name or "error").lower().replace(" ", "_")
        return error(exception.code or 500, code, exception.description or exception.name)

    return app
