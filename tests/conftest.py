"""Session-wide isolation: git and libgit2 must not read the user's configuration."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before forkflow (and so libgit2) is imported: a HOME of our own, no system config, so
# nobody's ~/.gitconfig (diff.algorithm, core.abbrev, ...) changes what the tests see.
_HOME = Path(tempfile.mkdtemp(prefix="forkflow-test-home-"))
os.environ["HOME"] = str(_HOME)
os.environ["XDG_CONFIG_HOME"] = str(_HOME / ".config")
os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
for _name in [name for name in os.environ if name.startswith("GIT_") and name != "GIT_CONFIG_NOSYSTEM"]:
    del os.environ[_name]
(_HOME / ".gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.edu\n[init]\n\tdefaultBranch = main\n")
os.environ["COLUMNS"] = "200"

pytest_plugins = ["tests.postgres"]
