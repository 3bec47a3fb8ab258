"""Build the demo network, write its HTML report and take the README's screenshot of it.

python scripts/report_screenshot.py docs/report.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scripts.browser import screenshot  # noqa: E402


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        subprocess.run(["forkflow", "demo", "--into", str(demo)], env=env, check=True, capture_output=True)
        page = Path(folder) / "report.html"
        subprocess.run(["forkflow", "report", "--html", str(page)], cwd=demo / "work", env=env, check=True)
        screenshot(page, out, width=1200, height=1500)
    print(f"screenshot written to {out}")


if __name__ == "__main__":
    main()
