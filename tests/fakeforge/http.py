"""The HTTP core of a fake forge: a threaded server on 127.0.0.1, bodies in and out, git over HTTP.

A fake subclasses `LoopbackServer` and implements `_serve(http)`; the handler class here hands
every request of every method to it.
"""

from __future__ import annotations

import subprocess
import threading
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakeforge.gitops import clean_env


class ForgeHTTPHandler(BaseHTTPRequestHandler):
    """Every request goes to the fake's `_serve`; HTTP/1.1 keep-alive, one write per answer."""

    protocol_version = "HTTP/1.1"
    server_version = "fakeforge/1.0"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stalls)

    def _serve(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: each fake keeps its own log of requests."""


class LoopbackServer(ABC):
    """Start/stop a `ThreadingHTTPServer` on a free loopback port, serving `self._serve`."""

    thread_name = "fakeforge"
    server_version = "fakeforge/1.0"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @abstractmethod
    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        """Answer one request (the fake's routing)."""

    def start(self) -> Any:
        """Listen on a free loopback port and serve in a background thread."""
        handler = type("Handler", (ForgeHTTPHandler,), {"server_version": self.server_version})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` (RuntimeError before `start`)."""
        if self._server is None:
            raise RuntimeError(f"the {self.thread_name} server is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"


def read_body(http: BaseHTTPRequestHandler) -> bytes:
    """The request body, plain or chunked."""
    if http.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b""
        while size := int(http.rfile.readline().strip(), 16):
            body += http.rfile.read(size)
            http.rfile.readline()
        http.rfile.readline()
        return body
    return http.rfile.read(int(http.headers.get("Content-Length") or 0))


def send(
    http: BaseHTTPRequestHandler, status: int, headers: dict[str, str] | list[tuple[str, str]], payload: bytes
) -> None:
    """One whole answer: status, headers, Content-Length and body."""
    http.send_response(status)
    for name, value in headers.items() if isinstance(headers, dict) else headers:
        http.send_header(name, value)
    http.send_header("Content-Length", str(len(payload)))
    http.end_headers()
    http.wfile.write(payload)


def serve_git_backend(
    http: BaseHTTPRequestHandler, project_root: Path, path: str, query: str, body: bytes, lock: threading.RLock
) -> None:
    """One smart-HTTP request, answered by `git http-backend` over `project_root` (pushes allowed, hooks run)."""
    env = clean_env()
    env.update(
        GIT_PROJECT_ROOT=str(project_root),
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
    with lock:  # a push changes a repository the handlers read
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
    head, _, payload = done.stdout.partition(b"\r\n\r\n")
    status, headers = 200, []
    for line in head.decode(errors="replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name:
            headers.append((name, value.strip()))
    send(http, status, headers, payload)


def send_text(http: BaseHTTPRequestHandler, status: int, text: str) -> None:
    send(http, status, {"Content-Type": "text/plain"}, text.encode())
