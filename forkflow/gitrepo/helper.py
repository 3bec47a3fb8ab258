"""The user's git credential helper, asked the way ``git fetch`` asks it.

libgit2 has no support for git's credential helpers, so forkflow runs ``git credential fill``:
git reads the user's configuration (``credential.helper``, ``credential.<url>.*``) and asks
each helper in turn.  Only reading: forkflow never stores (``approve``) or erases (``reject``)
anything in the user's helpers.  Nothing prompts: with no helper that knows the url, git would
ask on the terminal or through an askpass program, which ``GIT_TERMINAL_PROMPT=0`` and an
empty ``GIT_ASKPASS`` turn off (Git Credential Manager's dialogs too, by
``credential.interactive=never``).  Without git on the path there is simply no helper.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TIMEOUT = 60
"""Seconds a helper may take (one that asks a vault over the network may take a few)."""


def credential_fill(url: str, cwd: str | Path | None = None) -> tuple[str, str] | None:
    """The user name and password the user's helpers have for ``url``, or None when none has any.

    ``url`` must be one line of printable text: a newline would let it name another host in
    git's line-based protocol (as in CVE-2020-5260), so such a url gets nothing.
    """
    if not url.isprintable():
        return None
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GCM_INTERACTIVE": "never",
    }
    try:
        done = subprocess.run(
            ["git", "-c", "credential.interactive=never", "credential", "fill"],
            input=f"url={url}\n\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, UnicodeError):
        return None
    if done.returncode != 0:
        return None
    answer = dict(line.partition("=")[::2] for line in done.stdout.splitlines())
    user, password = answer.get("username"), answer.get("password")
    return (user, password) if user and password else None
