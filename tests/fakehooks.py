"""Webhook deliveries from the fake GitHub: payloads shaped as GitHub documents them, built from the
fake's ground truth, and POSTed signed exactly as GitHub signs them.

::

    hooks = FakeHooks(fake, secret="s3cret", url="http://127.0.0.1:PORT/webhooks/github")
    delivery = hooks.push(repo_id)           # a Delivery: event, delivery id, body, headers
    response = hooks.send(delivery)          # POST it; hooks.send(delivery) again is a redelivery
    client.post(PATH, data=delivery.body, headers=delivery.headers)   # or through a Flask test client
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import requests

from tests.fakegithub import FakeGitHub

PATH = "/webhooks/github"
HOOKSHOT = "GitHub-Hookshot/8cbd5a2"


@dataclass(frozen=True)
class Delivery:
    """One signed delivery, ready to send (or to send again: a redelivery keeps its id)."""

    event: str
    delivery_id: str
    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The two signature headers GitHub sends (SHA-256, and the legacy SHA-1)."""
    key = secret.encode()
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


def _epoch(timestamp: str) -> int:
    return int(datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


class FakeHooks:
    """Builds and sends the deliveries a repository (or organisation) webhook of `fake` would send."""

    def __init__(self, fake: FakeGitHub, secret: str, url: str | None = None, hook_id: int = 424242):
        self.fake = fake
        self.secret = secret
        self.url = url
        self.hook_id = hook_id
        self._local = threading.local()

    # ----------------------------------------------------------------- sending

    def deliver(self, event: str, payload: Any, *, delivery_id: str | None = None, secret: str | None = None) -> Delivery:
        """A delivery of `payload` as GitHub sends it: compact JSON, signed, with GitHub's headers."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery_id = delivery_id or str(uuid.uuid4())
        about = payload if isinstance(payload, dict) else {}
        target = "organization" if "organization" in about and "repository" not in about else "repository"
        target_id = (about.get("repository") or about.get("organization") or {}).get("id", 0)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": HOOKSHOT,
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Hook-ID": str(self.hook_id),
            "X-GitHub-Hook-Installation-Target-Type": target,
            "X-GitHub-Hook-Installation-Target-ID": str(target_id),
            **sign(self.secret if secret is None else secret, body),
        }
        return Delivery(event, delivery_id, body, headers)

    def send(self, delivery: Delivery, timeout: float = 10) -> requests.Response:
        """POST `delivery` to the receiver (one keep-alive session per thread)."""
        if self.url is None:
            raise RuntimeError("FakeHooks has no receiver url to send to")
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session.post(self.url, data=delivery.body, headers=delivery.headers, timeout=timeout)

    @staticmethod
    def unsigned(delivery: Delivery) -> Delivery:
        headers = {k: v for k, v in delivery.headers.items() if not k.startswith("X-Hub-Signature")}
        return replace(delivery, headers=headers)

    # ----------------------------------------------------------------- ground truth

    def repository(self, repo_id: int) -> dict:
        """The repository as the REST API serves it (the fake's truth)."""
        for repo in self.fake.snapshot():
            if repo["id"] == repo_id:
                return {k: v for k, v in repo.items() if k not in ("languages", "contributors", "contributors_mode")}
        raise KeyError(f"no repository with id {repo_id}")

    def account(self, login: str, kind: str = "User") -> dict:
        """The simple user (or organisation) object of `login`, as a payload's sender or owner."""
        for repo in self.fake.snapshot():
            if repo["owner"]["login"].lower() == login.lower():
                return dict(repo["owner"])
        number = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
        return {"login": login, "id": number, "node_id": f"U_{number}", "type": kind, "site_admin": False,
                "url": f"{self.fake.url}/users/{login}", "html_url": f"https://github.com/{login}"}

    def _common(self, repo: dict) -> dict:
        common = {"repository": repo, "sender": dict(repo["owner"])}
        if repo["owner"]["type"] == "Organization":
            owner = repo["owner"]
            common["organization"] = {"login": owner["login"], "id": owner["id"], "node_id": owner["node_id"],
                                      "url": f"{self.fake.url}/orgs/{owner['login']}", "description": None}
        return common

    # ----------------------------------------------------------------- events

    def ping(self, repo_id: int, **options) -> Delivery:
        repo = self.repository(repo_id)
        hook = {"type": "Repository", "id": self.hook_id, "name": "web", "active": True,
                "events": ["push", "repository", "star", "release", "public", "fork", "member"],
                "config": {"content_type": "json", "insecure_ssl": "0", "url": self.url or "", "secret": "********"}}
        payload = {"zen": "Design for failure.", "hook_id": self.hook_id, "hook": hook, **self._common(repo)}
        return self.deliver("ping", payload, **options)

    def push(self, repo_id: int, ref: str | None = None, **options) -> Delivery:
        """A push to the default branch (or `ref`); push payloads carry epoch timestamps and owner.name."""
        repo = self.repository(repo_id)
        pushed = {**repo, "created_at": _epoch(repo["created_at"]), "pushed_at": _epoch(repo["pushed_at"]),
                  "owner": {**repo["owner"], "name": repo["owner"]["login"], "email": None},
                  "stargazers": repo["stargazers_count"], "master_branch": repo["default_branch"]}
        after = hashlib.sha1(f"{repo_id}:{repo['pushed_at']}".encode()).hexdigest()
        commit = {"id": after, "tree_id": hashlib.sha1(after.encode()).hexdigest(), "distinct": True,
                  "message": "Update README", "timestamp": repo["pushed_at"],
                  "url": f"https://github.com/{repo['full_name']}/commit/{after}",
                  "author": {"name": repo["owner"]["login"], "email": "me@example.com"},
                  "committer": {"name": repo["owner"]["login"], "email": "me@example.com"},
                  "added": [], "removed": [], "modified": ["README.md"]}
        payload = {"ref": ref or f"refs/heads/{repo['default_branch']}", "before": "0" * 40, "after": after,
                   **self._common(repo), "repository": pushed,
                   "pusher": {"name": repo["owner"]["login"], "email": "me@example.com"},
                   "created": False, "deleted": False, "forced": False, "base_ref": None,
                   "compare": f"https://github.com/{repo['full_name']}/compare/{after[:12]}",
                   "commits": [commit], "head_commit": commit}
        return self.deliver("push", payload, **options)

    def repository_event(self, repo_id: int, action: str, changes: dict | None = None, **options) -> Delivery:
        """`repository` with `action`; deleted repositories are described as they were (pass their id
        before deleting them from the fake, or use `repository_deleted`)."""
        payload = {"action": action, **self._common(self.repository(repo_id))}
        if changes is not None:
            payload["changes"] = changes
        return self.deliver("repository", payload, **options)

    def renamed(self, repo_id: int, old_name: str, **options) -> Delivery:
        return self.repository_event(repo_id, "renamed", {"repository": {"name": {"from": old_name}}}, **options)

    def transferred(self, repo_id: int, old_owner: str, **options) -> Delivery:
        former = self.account(old_owner)
        kind = "organization" if former["type"] == "Organization" else "user"
        return self.repository_event(repo_id, "transferred", {"owner": {"from": {kind: former}}}, **options)

    def star(self, repo_id: int, action: str = "created", **options) -> Delivery:
        starred_at = "2026-12-01T09:00:00Z" if action == "created" else None
        payload = {"action": action, "starred_at": starred_at, **self._common(self.repository(repo_id))}
        payload["sender"] = self.account("stargazer-x")
        return self.deliver("star", payload, **options)

    def release(self, repo_id: int, action: str = "published", **options) -> Delivery:
        repo = self.repository(repo_id)
        release = {"id": 7000 + repo_id, "tag_name": "v1.0.0", "name": "v1.0.0", "draft": False, "prerelease": False,
                   "target_commitish": repo["default_branch"], "created_at": repo["updated_at"],
                   "published_at": repo["updated_at"], "author": dict(repo["owner"]), "assets": [],
                   "html_url": f"https://github.com/{repo['full_name']}/releases/tag/v1.0.0"}
        return self.deliver("release", {"action": action, "release": release, **self._common(repo)}, **options)

    def public(self, repo_id: int, **options) -> Delivery:
        return self.deliver("public", self._common(self.repository(repo_id)), **options)

    def fork(self, repo_id: int, forkee_id: int, **options) -> Delivery:
        """`forkee_id` is the new fork (in the fake, a repository with fork=True); the delivery is about `repo_id`."""
        forkee = {**self.repository(forkee_id), "fork": True, "public": True}
        payload = {"forkee": forkee, **self._common(self.repository(repo_id)), "sender": dict(forkee["owner"])}
        return self.deliver("fork", payload, **options)

    def member(self, repo_id: int, login: str, action: str = "added", **options) -> Delivery:
        changes = {"permission": {"to": "write"}} if action == "added" else {}
        payload = {"action": action, "member": self.account(login), "changes": changes,
                   **self._common(self.repository(repo_id))}
        return self.deliver("member", payload, **options)

    def issue(self, repo_id: int, action: str = "opened", **options) -> Delivery:
        repo = self.repository(repo_id)
        issue = {"id": 9000 + repo_id, "number": 1, "title": "It breaks", "state": "closed" if action == "closed" else "open",
                 "user": dict(repo["owner"]), "labels": [], "comments": 0, "body": None,
                 "html_url": f"https://github.com/{repo['full_name']}/issues/1"}
        return self.deliver("issues", {"action": action, "issue": issue, **self._common(repo)}, **options)

    def pull_request(self, repo_id: int, action: str = "opened", **options) -> Delivery:
        repo = self.repository(repo_id)
        pull = {"id": 8000 + repo_id, "number": 2, "title": "Fix it", "state": "closed" if action == "closed" else "open",
                "user": dict(repo["owner"]), "draft": False, "merged": action == "closed", "body": None,
                "head": {"ref": "fix", "sha": "1" * 40}, "base": {"ref": repo["default_branch"], "sha": "2" * 40},
                "html_url": f"https://github.com/{repo['full_name']}/pull/2"}
        payload = {"action": action, "number": 2, "pull_request": pull, **self._common(repo)}
        return self.deliver("pull_request", payload, **options)

    def organization(self, login: str, action: str, old_login: str | None = None, **options) -> Delivery:
        account = self.account(login, "Organization")
        organization = {"login": account["login"], "id": account["id"], "node_id": account.get("node_id"),
                        "url": f"{self.fake.url}/orgs/{account['login']}", "description": None}
        payload: dict[str, Any] = {"action": action, "organization": organization, "sender": self.account("admin-x")}
        if old_login is not None:
            payload["changes"] = {"login": {"from": old_login}}
        if action.startswith("member_"):
            payload["membership"] = {"state": "active", "role": "member", "user": self.account("new-member-x"),
                                     "organization_url": organization["url"]}
        return self.deliver("organization", payload, **options)
