"""Rules for names that become one component of a git ref (``git check-ref-format``)."""

from __future__ import annotations

_FORBIDDEN = set(" ~^:?*[\\\x7f")
MAX_COMPONENT_BYTES = 250
"""A ref is a file; most file systems allow 255 bytes in a name, and git writes ``<name>.lock`` first."""


def ref_component_problem(name: str) -> str | None:
    """Say why ``name`` cannot be one ref component, or return None when it can.

    A node's name becomes ``refs/forkflow/nodes/<name>``, so it follows the rules of
    ``git check-ref-format`` for a single component (and has no ``/``).
    """
    if not name:
        return "is empty"
    size = len(name.encode())
    if size > MAX_COMPONENT_BYTES:
        return (
            f"is {size} bytes long; git keeps a ref in a file whose name, with '.lock' added while it is "
            f"written, has at most 255 bytes: use at most {MAX_COMPONENT_BYTES}"
        )
    if "/" in name:
        return "contains '/' (a node name is one ref component)"
    problem = _character_problem(name, _FORBIDDEN)
    if problem:
        return problem
    if name.startswith("."):
        return "starts with '.'"
    if ".." in name:
        return "contains '..'"
    if name.endswith(".lock"):
        return "ends with '.lock'"
    if name.endswith("."):
        return "ends with '.'"
    if "@{" in name:
        return "contains '@{'"
    return None


def ref_name_problem(name: str) -> str | None:
    """Say why ``name`` is not a full ref name git accepts (``git check-ref-format``), or return None."""
    if not name:
        return "is empty"
    problem = _character_problem(name, _FORBIDDEN)
    if problem:
        return problem
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "has an empty part (a '/' at either end, or '//')"
    if name == "@":
        return "is '@', which git reads as HEAD"
    for text, problem in ((".", "ends with '.'"), (".lock", "ends with '.lock'")):
        if name.endswith(text):
            return problem
    if ".." in name:
        return "contains '..'"
    if "@{" in name:
        return "contains '@{'"
    parts = name.split("/")
    if any(part.startswith(".") for part in parts):
        return "has a part that starts with '.'"
    if any(part.endswith(".lock") for part in parts):
        return "has a part that ends with '.lock'"
    return None


def branch_problem(branch: str) -> str | None:
    """Say why ``branch`` (a name, or a full ``refs/...`` name) cannot be fetched, or return None."""
    if branch.startswith("-"):
        return "starts with '-', which git would read as an option"
    full = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    if full == "refs/heads/HEAD":
        return "is HEAD, which is not a branch; leave branch out to fetch the default branch"
    return ref_name_problem(full)


def _character_problem(name: str, forbidden: set[str]) -> str | None:
    bad = sorted({c for c in name if c in forbidden or ord(c) < 0x20})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"contains characters git does not allow in a ref name: {shown}"
    # git allows them, but a name that prints as something else (U+202E turns text around) misleads
    unseen = sorted({c for c in name if not c.isprintable()})
    if unseen:
        shown = ", ".join(f"U+{ord(c):04X}" for c in unseen)
        return f"contains characters that cannot be shown: {shown}"
    return None
