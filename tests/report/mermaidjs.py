"""Mermaid itself, run in chromium, to check that a graph renders as GitHub draws it: with
Mermaid's default configuration (maxTextSize 50,000, maxEdges 500).  tests/services.sh installs
the pinned release from npm."""

from __future__ import annotations

import json
import os
from pathlib import Path

from scripts.browser import Browser

MERMAID_JS = (
    Path(os.environ.get("FORKFLOW_MERMAID_DIR", "/usr/local/share/forkflow-tests"))
    / "node_modules"
    / "mermaid"
    / "dist"
    / "mermaid.min.js"
)


def mermaid_page(folder: Path) -> Path:
    """A page that loads Mermaid with its defaults (nothing raised, nothing drawn on load)."""
    if not MERMAID_JS.is_file():
        raise AssertionError(f"{MERMAID_JS} is missing: run sh tests/services.sh (it installs Mermaid from npm)")
    page = folder / "mermaid.html"
    page.write_text(
        f'<!doctype html><html><body><script src="{MERMAID_JS.as_uri()}"></script>'
        "<script>mermaid.initialize({startOnLoad: false});</script></body></html>"
    )
    return page


def render(browser: Browser, text: str) -> str:
    """The SVG Mermaid draws for ``text``, or ``error: <its message>``."""
    value = browser.evaluate(
        f"mermaid.render('graph' + Date.now(), {json.dumps(text)})"
        ".then(function (done) { return done.svg; }, function (err) { return 'error: ' + err.message; })"
    )
    return str(value)
