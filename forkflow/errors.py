"""forkflow's exceptions, all in one tree.

    ForkflowError            anything forkflow reports as a one-line problem (exit code 1)
    ├── ManifestError        forkflow.toml is unreadable or inconsistent (file, node, field)
    ├── PolicyError          a policy file is unreadable or invalid (file, dotted field)
    ├── GitError             the repository or a ref cannot be read or written
    │   └── UnreadableError  objects are missing (partial clone, lost objects)
    ├── FetchError           a node's url cannot be fetched
    ├── ForgeError           the forge (local record, GitHub) refused or failed
    ├── StoreError           the store (.forkflow/store.sqlite) cannot be used
    │   └── StoreDamagedError   its file is damaged (it is moved aside, never deleted)
    └── ConflictError        a merge or a cherry-pick would conflict

The core raises these; only the command line turns them into messages and exit codes.
"""

from __future__ import annotations


class ForkflowError(Exception):
    """A problem a person can act on: the message says what, where and what to do next."""


class ManifestError(ForkflowError):
    """The manifest (forkflow.toml) is wrong; the message names the file, node and field.

    One error may carry several problems (``problems``), one line each.
    """

    def __init__(self, path: str, problem: str, *, node: str | None = None, field: str | None = None):
        self.path = path
        self.node = node
        self.field = field
        self.problem = problem
        self.problems: list[ManifestError] = [self]
        where = path
        if node is not None:
            where += f": node {node!r}"
        if field is not None:
            where += f": field {field!r}"
        super().__init__(f"{where}: {problem}")

    @classmethod
    def many(cls, problems: list[ManifestError]) -> ManifestError:
        """One error that reports every problem found, one line each."""
        first = problems[0]
        if len(problems) == 1:
            return first
        combined = cls(first.path, first.problem, node=first.node, field=first.field)
        combined.problems = list(problems)
        combined.args = ("\n".join(str(p) for p in problems),)
        return combined


class PolicyError(ForkflowError):
    """A policy file is wrong; the message names the file and the dotted field."""


class GitError(ForkflowError):
    """The repository or a ref cannot be read or written."""


class UnreadableError(GitError):
    """An object the work needs is missing from the repository."""


class FetchError(ForkflowError):
    """A node's url could not be fetched."""


class ForgeError(ForkflowError):
    """The forge refused or failed."""


class StoreError(ForkflowError):
    """The store cannot be opened or written."""


class StoreDamagedError(StoreError):
    """The store's file is damaged; it was moved aside to ``aside`` (nothing in it is deleted)."""

    def __init__(self, message: str, *, location: str, reason: str, aside: str):
        super().__init__(message)
        self.location = location
        self.reason = reason
        self.aside = aside


class ConflictError(ForkflowError):
    """Applying a change would conflict."""
