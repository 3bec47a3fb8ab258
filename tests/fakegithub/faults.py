"""Faults the fake can serve besides its canned error answers: slow answers, broken bodies, refused pushes.

- `delay_next`: the next matching requests are answered only after a pause (longer than the
  client's timeout, the client gives up; the request is still carried out, as on GitHub);
- `malformed_next`: the next matching answers are replaced by bytes that are not JSON, or by
  JSON the test spoils (a missing field): a broken proxy, or a GitHub bug. They are not what
  GitHub's description allows, so they skip validation and are listed in `malformed`;
- `serve_git_over_http`: the repositories' `clone_url` becomes the fake's own
  `http://127.0.0.1:PORT/OWNER/NAME.git`, served by git's `git http-backend` (pushes too), so that
  a pre-receive hook (`refuse_pushes`) can refuse a push the way GitHub refuses one, or the
  token be denied the push altogether (`deny_pushes`: 403, as for a token without write access).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakeforge.http import send_text, serve_git_backend
from tests.fakeforge.rules import Delay, Malformed, spoiler, take

__all__ = ["GIT_PATH", "Delay", "Faults", "Malformed", "take"]

GIT_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)\.git/(info/refs|git-upload-pack|git-receive-pack)$")
"""The smart-HTTP paths of git (`/OWNER/NAME.git/info/refs?service=...`), as github.com serves them."""


class Faults:
    """The fault switches of `FakeGitHub` (mixed in; state lives on the fake)."""

    root: Path
    _lock: threading.RLock
    _delays: list[Delay]
    _malformed: list[Malformed]
    malformed: list[str]
    git_over_http: bool
    push_denied: set[str]

    def delay_next(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` requests matching `method` ("*": any) and `path_regex` after `seconds`."""
        with self._lock:
            self._delays.append(Delay(method.upper(), re.compile(path_regex), seconds, times))

    def malformed_next(
        self, method: str, path_regex: str, body: bytes | Callable[[Any], Any], *, times: int = 1
    ) -> None:
        """Replace the next `times` matching answers: by `body` (bytes), or by what `body` makes of the JSON.

        The request is carried out first (state changes as usual); only the answer is spoiled.
        """
        with self._lock:
            self._malformed.append(Malformed(method.upper(), re.compile(path_regex), spoiler(body), times))

    def serve_git_over_http(self) -> None:
        """From now on `clone_url` is this server's http:// URL for the repository, served by git itself."""
        with self._lock:
            self.git_over_http = True

    def refuse_pushes(self, repo_path: Path, message: str) -> None:
        """A pre-receive hook in the bare repository at `repo_path`: every push over HTTP is refused with `message`."""
        hook = repo_path / "hooks" / "pre-receive"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(f"#!/bin/sh\ncat >/dev/null\necho {_shell_quote(message)} >&2\nexit 1\n", encoding="utf-8")
        hook.chmod(0o755)

    def accept_pushes(self, repo_path: Path) -> None:
        (repo_path / "hooks" / "pre-receive").unlink(missing_ok=True)

    def deny_pushes(self, full_name: str) -> None:
        """Pushes over HTTP to the repository `owner/name` are answered 403, as GitHub answers a token that cannot write."""
        with self._lock:
            self.push_denied.add(full_name.lower())

    # -- serving -------------------------------------------------------------------------------
    def _pause_for(self, method: str, path: str) -> float:
        with self._lock:
            rule = take(self._delays, method, path)
        return rule.seconds if rule is not None else 0.0

    def _spoiled(self, method: str, path: str, body: Any) -> bytes | None:
        """The spoiled payload for this answer, if a malformed_next rule matches (under the lock)."""
        rule = take(self._malformed, method, path)
        if rule is None:
            return None
        self.malformed.append(f"{method} {path}")
        return rule.spoil(body)

    def _serve_git(self, http: BaseHTTPRequestHandler, path: str, query: str, body: bytes) -> None:
        """One smart-HTTP request, answered by `git http-backend` (receive-pack allowed, hooks run)."""
        found = GIT_PATH.match(path)
        pushing = path.endswith("/git-receive-pack") or "service=git-receive-pack" in query
        if found is not None and pushing and found.group("repo").lower() in self.push_denied:
            send_text(http, 403, f"Permission to {found.group('repo')}.git denied.\n")
            return
        serve_git_backend(http, self.root / "repos", path, query, body, self._lock)


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
