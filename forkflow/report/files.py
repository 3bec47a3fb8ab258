"""Report files written whole: each one to a temporary file beside it, then renamed over the old.

An interrupted run leaves the old file or the new one, never half of one, and a re-run replaces
what the last one wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from forkflow.errors import OutputError
from forkflow.wholefile import replace_whole


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` in one rename; :class:`OutputError` names the file when it cannot be."""
    try:
        replace_whole(path, data, 0o644)
    except OSError as err:
        raise OutputError(f"{path}: the report cannot be written ({err})") from err


def write_folder(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Every file into ``folder`` (made when missing), each whole; returns their paths in order."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{folder}: the report folder cannot be made ({err})") from err
    written = []
    for name, data in files.items():
        write_whole(folder / name, data)
        written.append(folder / name)
    return written
