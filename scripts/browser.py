"""Open a page in Debian's chromium, headless: its DOM after scripts ran, a screenshot, or a
page driven like a person would (:class:`Browser`: clicks and typing over the DevTools protocol).

Used by the report's tests (tests/report/), benchmarks/bench_report.py and
scripts/report_screenshot.py, which makes the picture in the README.  The flags keep chromium off
the network and out of any profile of the user's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: apt-get install chromium (.ci/run does it)")
    return found


def dump_dom(page: Path) -> str:
    """The page's DOM as chromium built it."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def screenshot(page: Path, out: Path, *, width: int = 1200, height: int = 2600) -> None:
    """A PNG of the page as chromium draws it."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )


def colour_share(png: Path, colour: str, box: tuple[int, int, int, int] | None = None, tolerance: int = 24) -> float:
    """The share of the image's pixels (or of ``box``: left, top, right, bottom) close to ``colour``."""
    from PIL import Image

    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(png) as image:
        pixels = image.convert("RGB").crop(box) if box else image.convert("RGB")
        raw = pixels.tobytes()
    data = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    close = sum(1 for pixel in data if all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True)))
    return close / len(data) if data else 0.0


class BrowserError(RuntimeError):
    """chromium answered a DevTools command with an error, or not in time."""


class Browser:
    """A headless chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    fd 3 takes commands, fd 4 gives answers, each a JSON message ended by a NUL byte).

    ``with Browser() as browser: browser.open(page); browser.click("#flagged")``; input goes
    through ``Input.dispatchMouseEvent`` and ``Input.insertText``, as a person's would.
    """

    def __init__(self, *, width: int = 1200, height: int = 900, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory()
        commands, self._send_fd = _high_pipe()
        self._read_fd, answers = _high_pipe()
        # bash (dash takes no fd over 9) moves the pipe's ends to fds 3 and 4, where chromium looks for them.
        wire = f'exec "$0" "$@" 3<&{commands} 4>&{answers} {commands}<&- {answers}>&-'
        self._process = subprocess.Popen(
            ["bash", "-c", wire, chromium(), *FLAGS, f"--user-data-dir={self._profile.name}",
             f"--window-size={width},{height}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(commands, answers),
        )  # fmt: skip
        os.close(commands)
        os.close(answers)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self._session = ""
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)
            self._session = attached["sessionId"]
            self.call("Page.enable")
        except BaseException:
            self.close()  # no chromium nor profile left behind
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.call("Browser.close", session=False)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._send_fd)
        os.close(self._read_fd)
        self._profile.cleanup()

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, Any]:
        """Send one command and wait for its answer (events that come meanwhile are kept)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._send_fd, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self.events.append(answer)

    def open(self, page: Path) -> None:
        """Load ``page`` and wait for its load event."""
        self.events.clear()
        self.call("Page.navigate", {"url": page.resolve().as_uri()})
        deadline = time.monotonic() + self.timeout
        while not any(event["method"] == "Page.loadEventFired" for event in self.events):
            if time.monotonic() > deadline:
                raise BrowserError(f"{page}: not loaded in {self.timeout} s")
            self.events.append(self._receive())

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        done = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in done:
            raise BrowserError(f"{expression[:80]}: {done['exceptionDetails']}")
        return done["result"].get("value")

    def click(self, selector: str) -> None:
        """A left click at the middle of the element, as the mouse would do it."""
        box = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});e.scrollIntoView({{block:'center'}});"
            "var r=e.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}
            )

    def type(self, selector: str, text: str) -> None:
        """Click into the element, then type ``text`` as the keyboard would."""
        self.click(selector)
        self.call("Input.insertText", {"text": text})

    def choose(self, selector: str, value: str) -> None:
        """Pick ``value`` in a <select> with the keyboard: focus it, then arrow keys down or up to it."""
        steps = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});e.focus();var to=-1;"
            f"for(var i=0;i<e.options.length;i++){{if(e.options[i].value==={json.dumps(value)}){{to=i;}}}}"
            "return to<0?null:to-e.selectedIndex;})()"
        )
        if steps is None:
            raise BrowserError(f"{selector}: no option {value!r}")
        key, code = ("ArrowDown", 40) if steps > 0 else ("ArrowUp", 38)
        for _ in range(abs(steps)):
            for kind in ("keyDown", "keyUp"):
                press = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
                self.call("Input.dispatchKeyEvent", press)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read_fd], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"chromium gave no answer in {self.timeout} s")
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        found: dict[str, Any] = json.loads(message)
        return found


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are numbered 10 or more, so moving them to fds 3 and 4 clobbers neither."""
    read, write = os.pipe()
    ends = (fcntl.fcntl(read, fcntl.F_DUPFD_CLOEXEC, 10), fcntl.fcntl(write, fcntl.F_DUPFD_CLOEXEC, 10))
    os.close(read)
    os.close(write)
    return ends
