"""A git server over HTTP(S) on loopback: git's own `git http-backend` behind a tiny CGI bridge.

It lets the tests fetch from real http:// and https:// URLs, with libgit2's smart-HTTP client on
one side and git's server on the other; no network beyond 127.0.0.0/8.  A server can demand Basic
authentication, and it records every Authorization header it was sent, so a test can say who
was given which credential.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.gitcli import git_env


@dataclass
class GitServer:
    """A running server: where it listens, and what it was sent."""

    url: str
    authorizations: list[str] = field(default_factory=list)
    """Every Authorization header received, in order."""
    paths: list[str] = field(default_factory=list)
    """Every request's path, in order."""

    def passwords(self) -> list[str]:
        """The passwords of the Basic credentials received (a token is sent as one)."""
        found = []
        for header in self.authorizations:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "basic":
                found.append(base64.b64decode(value).decode(errors="replace").partition(":")[2])
            else:
                found.append(value)
        return found


@dataclass(frozen=True)
class Behaviour:
    root: Path
    user: tuple[str, str] | None  # the Basic credentials it demands; None: it demands none
    redirect: str | None  # every request is redirected to this base URL instead


def _handler(behaviour: Behaviour, record: GitServer) -> type[BaseHTTPRequestHandler]:
    class GitCGI(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(b"")

        def do_POST(self) -> None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._answer(body)

        def _answer(self, body: bytes) -> None:
            record.paths.append(self.path)
            given = self.headers.get("Authorization")
            if given is not None:
                record.authorizations.append(given)
            if behaviour.redirect is not None:
                self._send(302, [("Location", behaviour.redirect + self.path)], b"")
            elif behaviour.user is not None and given != _basic(*behaviour.user):
                self._send(401, [("WWW-Authenticate", 'Basic realm="git"')], b"authentication required\n")
            else:
                self._run(body)

        def _run(self, body: bytes) -> None:
            url = urlsplit(self.path)
            env = git_env()
            env.update(
                GIT_PROJECT_ROOT=str(behaviour.root),
                GIT_HTTP_EXPORT_ALL="1",
                PATH_INFO=url.path,
                QUERY_STRING=url.query,
                REQUEST_METHOD=self.command,
                CONTENT_TYPE=self.headers.get("Content-Type", ""),
                CONTENT_LENGTH=str(len(body)),
                REMOTE_ADDR="127.0.0.1",
            )
            if behaviour.user is not None:
                env["REMOTE_USER"] = behaviour.user[0]  # http-backend lets an authenticated user push
            done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode().split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self._send(status, headers, payload)

        def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return GitCGI


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@contextmanager
def git_server(
    root: Path,
    *,
    address: str = "127.0.0.1",
    name: str | None = None,
    user: tuple[str, str] | None = None,
    tls: tuple[Path, Path] | None = None,
    redirect: str | None = None,
) -> Iterator[GitServer]:
    """Serve the repositories under ``root`` on ``address`` (a loopback address).

    ``name`` is the host name the URL gives (``localhost``; default: the address), ``user`` the
    Basic credentials demanded, ``tls`` a certificate and its key (the URL is then https://),
    ``redirect`` a base URL every request is sent on to.
    """
    server = ThreadingHTTPServer((address, 0), BaseHTTPRequestHandler)
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    record = GitServer(f"{scheme}://{name or address}:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(Behaviour(root, user, redirect), record)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_git(root: Path) -> Iterator[str]:
    """Serve the repositories under ``root``; yields the base URL (http://127.0.0.1:PORT)."""
    with git_server(root) as server:
        yield server.url
