"""`forkflow init` stopped while it writes the manifest: no manifest, no half of one, and a re-run writes it whole."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.cli.test_init import build_clone, expected_text
from tests.faults.harness import interrupt, run, traceback_free


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_an_interrupted_init_leaves_no_manifest(sig: signal.Signals, tmp_path: Path) -> None:
    work = build_clone(tmp_path).path
    stopped = interrupt(work, ["init"], "init.temporary-written", sig, tmp_path / "pause")
    assert stopped.paused.startswith("init.temporary-written#1 ")
    assert (stopped.code, stopped.stderr.splitlines()[-1:]) == (130, ["interrupted; nothing was left half-written"])
    assert traceback_free(stopped.stderr), stopped.stderr
    assert sorted(path.name for path in work.iterdir()) == [".git", "app.py"]  # no manifest, no temporary file
    again = run(work, "init", "--no-scan")
    assert again.returncode == 0, again.stderr
    assert (work / "forkflow.toml").read_text(encoding="utf-8") == expected_text(tmp_path)
