"""The git adapter: the only part of forkflow that imports pygit2.

Everything here takes and returns forkflow's own types (commit ids as hex strings, frozen
dataclasses) and turns pygit2's errors into :mod:`forkflow.errors`.
"""

from forkflow.gitrepo.repo import CommitInfo, GitRepo, PatchFacts, discover, read_blob_at

__all__ = ["CommitInfo", "GitRepo", "PatchFacts", "discover", "read_blob_at"]
