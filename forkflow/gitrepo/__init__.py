"""The git adapter: the only part of forkflow that imports pygit2.

Everything here takes and returns forkflow's own types (commit ids as hex strings, frozen
dataclasses) and turns pygit2's errors into :mod:`forkflow.errors`.
"""

from forkflow.gitrepo.apply import Applied, add_trailers, apply_commits, diffstat, is_ancestor, merge_into
from forkflow.gitrepo.build import Person
from forkflow.gitrepo.repo import CommitInfo, GitRepo, PatchFacts, library_versions, open_repository, read_blob_at

__all__ = [
    "Applied",
    "CommitInfo",
    "GitRepo",
    "PatchFacts",
    "Person",
    "add_trailers",
    "apply_commits",
    "diffstat",
    "is_ancestor",
    "library_versions",
    "merge_into",
    "open_repository",
    "read_blob_at",
]
