"""Files written whole: the text goes to a temporary file beside the file, is synced to the disk,
and only then takes the file's place, so an interrupted run leaves the old file or the new one,
never half of one.  The manifest, the report files and the local forge's dashboard use it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def synced_temporary(
    path: Path, data: bytes, mode: int, *, prefix: str | None = None, suffix: str = ".partial"
) -> Iterator[str]:
    """A temporary file beside ``path`` holding ``data``, on the disk and with ``mode``, to be
    moved or linked to ``path``; whatever is left of it is removed on the way out.  OSError
    is the caller's to name."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=prefix or f".{path.name}.", suffix=suffix, dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        yield temporary
    finally:
        Path(temporary).unlink(missing_ok=True)


def replace_whole(path: Path, data: bytes, mode: int, *, prefix: str | None = None, suffix: str = ".partial") -> None:
    """``path`` holds ``data`` now, in one rename over whatever it held."""
    with synced_temporary(path, data, mode, prefix=prefix, suffix=suffix) as temporary:
        os.replace(temporary, path)
