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
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakegithub.gitops import clean_env

GIT_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)\.git/(info/refs|git-upload-pack|git-receive-pack)$")
"""The smart-HTTP paths of git (`/OWNER/NAME.git/info/refs?service=...`), as github.com serves them."""


@dataclass
class Delay:
    method: str
    pattern: re.Pattern[str]
    seconds: float
    remaining: int


@dataclass
class Malformed:
    method: str
    pattern: re.Pattern[str]
    spoil: Callable[[Any], bytes]
    remaining: int


def take(rules: list[Any], method: str, path: str) -> Any:
    """The first rule for this request (one use of it spent), or None."""
    for rule in rules:
        if rule.method in ("*", method) and rule.pattern.search(path):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


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
        import json

        def spoil(original: Any) -> bytes:
            if isinstance(body, bytes):
                return body
            return json.dumps(body(original)).encode()

        with self._lock:
            self._malformed.append(Malformed(method.upper(), re.compile(path_regex), spoil, times))

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
            text = f"Permission to {found.group('repo')}.git denied.\n".encode()
            http.send_response(403)
            http.send_header("Content-Type", "text/plain")
            http.send_header("Content-Length", str(len(text)))
            http.end_headers()
            http.wfile.write(text)
            return
        env = clean_env()
        env.update(
            GIT_PROJECT_ROOT=str(self.root / "repos"),
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD=http.command,
            CONTENT_TYPE=http.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)),
            REMOTE_ADDR="127.0.0.1",
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.receivepack",
            GIT_CONFIG_VALUE_0="true",
        )
        if http.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = http.headers["Content-Encoding"]
        with self._lock:  # a push changes a repository the handlers read
            done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode(errors="replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        http.send_response(status)
        for name, value in headers:
            http.send_header(name, value)
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        http.wfile.write(payload)


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
