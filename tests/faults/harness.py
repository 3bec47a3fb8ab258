"""What every fault test needs: a network of real repositories, forkflow as a real process, and
the whole state a run leaves (every ref of every repository, every row of the store, the
forge's proposals, the manifest) to compare with what one uninterrupted run leaves.

The network (:func:`build_network`) is :mod:`tests.sharednet`'s, one bare repository per node
under ``forge/`` (the nodes' urls), a working repository ``work/`` holding the manifest, and a
commit on central after every node forked, so that ``sync`` has something to carry down:

    central          one commit more than every node
    ├── alpha        decentralized: a sync proposal
    │   └── alpha-dept
    ├── beta         decentralized: a sync proposal
    ├── gamma        central tier with commits of its own: refused, or reset with --force
    │   └── gamma-dept
    ├── delta        decentralized: a sync proposal
    ├── epsilon      developer: nothing
    └── zeta         central tier, nothing of its own: a fast-forward
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forkflow.forge.local import LocalForge
from forkflow.workspace import open_workspace
from tests.gitcli import Git
from tests.sharednet import build_shared_network

NOW = "1767225600"  # 2026-01-01: every run's "now" (SOURCE_DATE_EPOCH), so two runs write the same
TIERS = {
    "alpha": "decentralized",
    "alpha-dept": "developer",
    "beta": "decentralized",
    "gamma": "central",
    "gamma-dept": "developer",
    "delta": "decentralized",
    "epsilon": "developer",
    "zeta": "central",
}
PARENTS = {
    "alpha": "central",
    "alpha-dept": "alpha",
    "beta": "central",
    "gamma": "central",
    "gamma-dept": "gamma",
    "delta": "central",
    "epsilon": "central",
    "zeta": "central",
}
MERGE = ["merge", "beta", "gamma", "--into", "bg", "--path", "../forge/bg.git", "--yes"]
COMMANDS: dict[str, tuple[str, list[str]]] = {  # what each command starts from, and its arguments
    "fetch": ("unfetched", ["fetch"]),
    "scan": ("fetched", ["scan", "--json"]),
    "propose": ("fetched", ["propose"]),
    "sync": ("fetched", ["sync", "--force"]),
    "merge": ("fetched", MERGE),
}
Shared = Callable[[str, Callable[[Path], Any]], Any]
"""``shared(key, make)`` (the fixture): what ``make(folder)`` returned, made once per test session."""

# Columns whose value is the wall-clock time of a write, which two runs never share; every
# other column of every table is compared.
WALL_CLOCK = {("report_cache", "saved_at"), ("scan", "scanned_at")}


def manifest_text(store: str | None = None) -> str:
    lines = ['[network]\nname = "faults"\n']
    if store is not None:
        lines.append(f'store = "{store}"\n')
    lines.append('\n[[node]]\nname = "central"\nurl = "../forge/central.git"\nbranch = "main"\n')
    for name, tier in TIERS.items():
        lines.append(
            f'\n[[node]]\nname = "{name}"\nparent = "{PARENTS[name]}"\ntier = "{tier}"\n'
            f'url = "../forge/{name}.git"\nbranch = "main"\n'
        )
    return "".join(lines)


def build_network(root: Path) -> Path:
    """The network above under ``root``; returns its working repository (``root/work``)."""
    net = build_shared_network(root / "src")
    git = net.git
    git.checkout("-b", "zeta", net.ids["c0"])
    git.checkout("main")
    git.commit("Add the changelog", {"docs/changelog.md": "# Changes\n"})
    for name in ["central", *TIERS]:
        bare = Git.init(root / "forge" / f"{name}.git", bare=True)
        git("push", "-q", str(bare.path), f"{'main' if name == 'central' else name}:refs/heads/main")
    shutil.rmtree(root / "src")
    work = Git.init(root / "work")
    (work.path / "forkflow.toml").write_text(manifest_text())
    return work.path


def copy_network(template: Path, root: Path) -> Path:
    shutil.copytree(template, root, symlinks=True)
    return root / "work"


# --- forkflow as a process ----------------------------------------------------------------------


def forkflow_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "FORKFLOW_", "GITHUB_"))}
    env.update(SOURCE_DATE_EPOCH=NOW, FORKFLOW_JOBS="1", GIT_CONFIG_NOSYSTEM="1", COLUMNS="200")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "forkflow", *args]


def run(
    work: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``forkflow ARGS`` in the working repository, to the end."""
    environ = env or forkflow_env()
    return subprocess.run(
        command(*args), cwd=work, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )


def _default_signals() -> None:
    # A process started from a test runner may inherit SIGINT ignored; a user's shell never does that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Interrupted:
    code: int
    stdout: str
    stderr: str
    paused: str  # the line the process wrote at the point


def start_paused(
    work: Path, args: list[str], point: str, pause_file: Path, *, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``forkflow ARGS`` and return once it waits at ``point`` (``name#k``; see
    :mod:`forkflow.faultpoints`): send it a signal, or delete ``pause_file`` to let it go on."""
    pause_file.unlink(missing_ok=True)
    environ = {**(env or forkflow_env()), "FORKFLOW_PAUSE_AT": point, "FORKFLOW_PAUSE_FILE": str(pause_file)}
    environ["PYTHONFAULTHANDLER"] = "1"
    process = subprocess.Popen(
        command(*args),
        cwd=work,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,  # noqa: PLW1509 (it only sets a signal's disposition)
    )
    deadline = time.monotonic() + 30
    while not (pause_file.exists() and pause_file.read_text().endswith("\n")):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"forkflow {' '.join(args)} never reached {point} (exit {process.returncode}):\n{err}")
        time.sleep(0.01)
    return process


def finish(process: subprocess.Popen[str], what: str) -> tuple[int, str, str]:
    """Wait for the process to end (30 s at most); its exit code, stdout and stderr."""
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: where it was, on stderr
        _, err = process.communicate()
        raise AssertionError(f"forkflow did not end after {what}:\n{err}") from None
    return process.returncode, out, err


def interrupt(
    work: Path, args: list[str], point: str, sig: signal.Signals, pause_file: Path, *, env: dict[str, str] | None = None
) -> Interrupted:
    """Start ``forkflow ARGS``, wait until it reaches ``point`` (``name#k``), send it ``sig``."""
    process = start_paused(work, args, point, pause_file, env=env)
    paused = pause_file.read_text().strip()
    process.send_signal(sig)
    code, out, err = finish(process, f"{sig.name} at {point}")
    return Interrupted(code, out, err, paused)


# --- mounts (the machine and CI run as root) ------------------------------------------------------


def mount(*args: str) -> None:
    """``mount ARGS``; a test that needs it fails (never skips) when this machine does not allow it."""
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(
            f"this fault test needs `mount {' '.join(args)}` (root, or CAP_SYS_ADMIN), which failed: "
            f"{done.stderr.strip()}"
        )


def unmount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(folder: Path, *, leave: int = 0) -> Path:
    """Fill the file system of ``folder`` until no byte is left (then free ``leave`` bytes)."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * size)
            except OSError as err:
                assert err.errno == errno.ENOSPC, err
    finally:
        os.close(descriptor)
    if leave:
        os.truncate(filler, filler.stat().st_size - leave)
    return filler


# --- the state a run leaves ---------------------------------------------------------------------


def repositories(root: Path) -> list[Path]:
    found = [root / "work" / ".git"]
    found += sorted(path for path in (root / "forge").iterdir() if (path / "HEAD").exists())
    return found


def refs_of(git_dir: Path) -> list[str]:
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "for-each-ref", "--format=%(refname) %(objectname) %(symref)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "GIT_CONFIG_NOSYSTEM": "1"},
    )
    head = (git_dir / "HEAD").read_text().strip()
    return [f"HEAD {head}", *done.stdout.splitlines()]


def sqlite_rows(path: Path, *, immutable: bool = False) -> dict[str, list[Any]]:
    """Every table's rows in key order, without the wall-clock columns (:data:`WALL_CLOCK`);
    ``immutable``: a file on a read-only or full disk, read without its write-ahead index."""
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro{'&immutable=1' if immutable else ''}", uri=True)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {table: _rows(db, table) for table in tables}
    finally:
        db.close()


def _rows(db: sqlite3.Connection, table: str) -> list[Any]:
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    keep = [c for c in columns if (table, c) not in WALL_CLOCK]
    quoted = ", ".join(f'"{c}"' for c in keep)
    rows = db.execute(f"SELECT {quoted} FROM {table} ORDER BY {quoted}").fetchall()
    return [dict(zip(keep, (bytes(v).hex() if isinstance(v, bytes) else v for v in row), strict=True)) for row in rows]


def proposals_of(work: Path, store: str | None = None) -> list[dict[str, Any]]:
    """The local forge's proposals, as forkflow's own forge reads them."""
    space = open_workspace(work, store=store)
    try:
        forge = LocalForge(space.repo, space.store, space.manifest)
        return [proposal.model_dump(mode="json") for proposal in forge.proposals()]
    finally:
        space.close()


def postgres_rows(url: str) -> dict[str, list[Any]]:
    """:func:`sqlite_rows` of a PostgreSQL store, without its ``seq`` columns too: an identity
    column that PostgreSQL advances even for an insert that is rolled back, so it orders rows
    but its values are no data."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        tables = [
            str(row[0])
            for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY tablename")
        ]
        found = {}
        for table in tables:
            columns = db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name=%s ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            keep = [str(c[0]) for c in columns if (table, c[0]) not in WALL_CLOCK and c[0] != "seq"]
            quoted = ", ".join(f'"{c}"' for c in keep)
            rows = db.execute(f"SELECT {quoted} FROM {table} ORDER BY {quoted}").fetchall()
            found[table] = [
                dict(zip(keep, (bytes(v).hex() if isinstance(v, bytes | memoryview) else v for v in row), strict=True))
                for row in rows
            ]
    return found


def state(root: Path, store: str | None = None) -> dict[str, Any]:
    """Everything a run leaves, with the network's folder written as ``<root>``; ``store``: a
    PostgreSQL store's URL (else the SQLite file in the working repository)."""
    work = root / "work"
    rows = postgres_rows(store) if store else sqlite_rows(work / ".forkflow" / "store.sqlite")
    found = {
        "refs": {path.relative_to(root).as_posix(): refs_of(path) for path in repositories(root)},
        "store": rows,
        "manifest": (work / "forkflow.toml").read_text(),
        "proposals": proposals_of(work, store),
    }
    normalised: dict[str, Any] = json.loads(json.dumps(found).replace(str(root.resolve()), "<root>"))
    return normalised


def traceback_free(stderr: str) -> bool:
    return "Traceback" not in stderr and "Error:" not in stderr.replace("error:", "")


CACHES = ("patch", "commit_info", "pair", "report_cache", "fact")
"""The store's caches: each row is keyed by everything it was computed from."""


def unnumbered(found: dict[str, Any]) -> dict[str, Any]:
    """A state with the proposals' numbers left out, each proposal once, in change order: for a
    run in which one node failed and the others went on, so they were numbered before it."""
    copy: dict[str, Any] = json.loads(json.dumps(found))

    def strip(records: list[Any]) -> list[Any]:
        out = []
        for given in records:
            record = dict(given)
            record.pop("number", None)
            if isinstance(record.get("record"), str):
                inner = json.loads(record["record"])
                inner.pop("number", None)
                record["record"] = json.dumps(inner, sort_keys=True)
            out.append(record)
        return sorted(out, key=lambda r: json.dumps(r, sort_keys=True))

    copy["proposals"] = strip(copy["proposals"])
    if "proposal" in copy["store"]:
        copy["store"]["proposal"] = strip(copy["store"]["proposal"])
    return copy


def differences(got: dict[str, Any], expected: dict[str, Any], *, caches_may_grow: bool = False) -> list[str]:
    """Where two states differ, one line per part (empty when they are the same).

    With ``caches_may_grow``, the store's caches (:data:`CACHES`) may hold rows that one run
    does not leave (a re-run that scanned a network half-way through a change); they may lack
    none, and every other table must be the same.
    """
    lines: list[str] = []
    for part in sorted(set(got) | set(expected)):
        mine, theirs = got.get(part), expected.get(part)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            for key in sorted(set(mine) | set(theirs)):
                a, b = mine.get(key), theirs.get(key)
                if a == b:
                    continue
                extra = [x for x in a or [] if x not in (b or [])] if isinstance(a, list) else a
                lost = [x for x in b or [] if x not in (a or [])] if isinstance(b, list) else b
                if caches_may_grow and part == "store" and key in CACHES and not lost:
                    continue
                lines.append(f"{part}/{key}: only after the rerun: {extra}; only after one run: {lost}")
        elif mine != theirs:
            lines.append(f"{part}: after the rerun {mine!r}; after one run {theirs!r}")
    return lines
