"""One writing run at a time in a working repository: a lock file, held with ``flock``.

Two runs that write at once (two scheduled bot runs on one runner, a bot run and someone's
``forkflow sync``) would each plan from what they read before the other wrote: both try to
open the same proposals and move the same refs, and git refuses the second writer of a ref
(its ``.lock`` file exists) half-way through a run.  So a command that writes takes this lock
first, and a second one waits until the first is done, then plans from what the first left:
the two end as two runs one after the other.

The lock is ``flock(2)`` on ``run.lock`` in forkflow's folder of the repository: the kernel
lets it go when the process ends, however it ends, so no lock is ever left behind by a run
that crashed or was killed.  The file says who holds it, for the message of one that waits.
Machines that share a PostgreSQL store but not a repository do not wait on each other: the
store itself keeps a change open once per target (:meth:`forkflow.store.store.Store.add_proposal`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from forkflow.errors import GitError

WAIT = 600.0
"""How long a run waits for the one that holds the lock, in seconds, before it gives up."""

_held: dict[Path, int] = {}  # lock file -> open descriptor, kept for the life of the process


def hold_run_lock(path: Path, *, wait: float = WAIT, on_wait: Callable[[str], None] | None = None) -> None:
    """Hold the lock at ``path`` until the process ends; wait up to ``wait`` seconds for it.

    ``on_wait`` is told once who holds it, when this run has to wait.  Taking a lock that this
    process holds already does nothing.
    """
    try:
        import fcntl
    except ImportError:  # no flock on this system: runs are not serialised
        return
    if path in _held:
        return
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise GitError(f"{path}: the run lock cannot be opened ({err.strerror}); is the repository writable?") from None
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise GitError(
                    f"{path}: another forkflow run ({_holder(path)}) still holds this repository after "
                    f"{wait:.0f} s; run again when it is done"
                ) from None
            if not told and on_wait is not None:
                on_wait(_holder(path))
                told = True
            time.sleep(0.1)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    _held[path] = descriptor


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "another process"
