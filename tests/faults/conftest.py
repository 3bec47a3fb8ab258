"""The fault tests' networks, and what one plain run leaves on them: made once for the whole
test session (shared by the processes of ``pytest -n``, under a lock), copied for every test."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import COMMANDS, Shared, build_network, copy_network, run, state


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """``shared(key, make)``: ``make(folder)``'s JSON result, computed by the first test process
    that asks for ``key`` in a folder of its own, and read back by every other one."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the session's folder, above each worker's
        base = base.parent
    root = base / "faults-shared"
    root.mkdir(exist_ok=True)

    def get(key: str, make: Callable[[Path], Any]) -> Any:
        answer = root / f"{key}.json"
        with _locked(root / f"{key}.lock"):
            if not answer.exists():
                folder = root / key
                folder.mkdir()
                answer.write_text(json.dumps(make(folder)))
        return json.loads(answer.read_text())

    return get


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _make_templates(base: Path) -> dict[str, str]:
    unfetched = base / "unfetched"
    build_network(unfetched)
    fetched = base / "fetched"
    work = copy_network(unfetched, fetched)
    done = run(work, "fetch")
    assert done.returncode == 0, done.stderr
    (work / ".forkflow" / "store.sqlite").unlink()  # every test starts from an empty store
    scanned = base / "scanned"
    done = run(copy_network(fetched, scanned), "scan")
    assert done.returncode == 0, done.stderr
    return {"unfetched": str(unfetched), "fetched": str(fetched), "scanned": str(scanned)}


@pytest.fixture(scope="session")
def templates(shared: Shared) -> dict[str, Path]:
    """``unfetched``: the network as built; ``fetched``: after one ``forkflow fetch`` (an empty
    store); ``scanned``: after one ``forkflow scan`` more (a store full of caches, one scan in
    its history, closed)."""
    return {name: Path(path) for name, path in shared("templates", _make_templates).items()}


@pytest.fixture
def network(templates: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of a template (by name) under this test's folder; returns its root."""
    made: list[Path] = []

    def copy(name: str) -> Path:
        root = tmp_path / f"net{len(made)}"
        copy_network(templates[name], root)
        made.append(root)
        return root

    return copy


@pytest.fixture(scope="session")
def one_run(templates: dict[str, Path], shared: Shared) -> Callable[[str], tuple[int, dict[str, Any]]]:
    """Per command of :data:`COMMANDS`, the exit code and the state one uninterrupted run leaves."""

    def of(command: str) -> tuple[int, dict[str, Any]]:
        def make(folder: Path) -> tuple[int, dict[str, Any]]:
            template, args = COMMANDS[command]
            root = folder / "net"
            done = run(copy_network(templates[template], root), *args)
            return done.returncode, state(root)

        code, found = shared(f"one-{command}", make)
        return int(code), found

    return of
