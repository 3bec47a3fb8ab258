"""Open a page in Debian's chromium, headless: its DOM after scripts ran, and a screenshot.

Used by the report's test (tests/report/test_document.py) and by scripts/report_screenshot.py, which
makes the picture in the README.  The flags keep chromium off the network and out of any
profile of the user's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

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
