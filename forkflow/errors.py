"""forkflow's exceptions, all in one tree.

    ForkflowError            anything forkflow reports as a one-line problem (exit code 1)
    ├── ManifestError        forkflow.toml is unreadable or inconsistent (file, node, field)
    ├── NodeError            a name given to a command names no node, or not one that fits
    ├── PolicyError          a policy file is unreadable or invalid (file, dotted field)
    ├── GitError             the repository or a ref cannot be read or written
    │   ├── UnreadableError  objects are missing (partial clone, lost objects)
    │   └── CredentialError  a remote asks for credentials forkflow will not or cannot give it
    ├── FetchError           a node's url cannot be fetched
    ├── ForgeError           the forge (local record, GitHub) refused or failed
    │   └── RateLimited      the forge's rate limit is exhausted: a run stops there
    ├── StoreError           the store (.forkflow/store.sqlite) cannot be used
    │   └── StoreDamagedError   its file is damaged (it is moved aside, never deleted)
    ├── ConflictError        a merge or a cherry-pick would conflict
    ├── ShardError           a shard (K/N) is malformed, or the cluster that runs shards cannot be used
    ├── EventError           the GitHub event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) cannot be acted on
    ├── PlanError            what was asked leaves nothing to do, or its plan has problems
    ├── HookError            a git hook cannot be installed
    ├── OutputError          a file a command writes (a report, a chart) cannot be written
    └── ExampleError         an example network is not installed or cannot be built

The core raises these, never the base class itself; only the command line turns them into
messages and exit codes (forkflow/exitcodes.py).  Where a command's names or values come from
its own options, the command line reports a :class:`NodeError` or a :class:`ShardError` as a
usage mistake (exit code 2) instead.
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


class CredentialError(GitError):
    """A remote asks for credentials that forkflow will not give it (or has none for it)."""


class FetchError(ForkflowError):
    """A node's url could not be fetched."""


class ForgeError(ForkflowError):
    """The forge refused or failed."""


class RateLimited(ForgeError):
    """The forge's rate limit is exhausted: every further call would fail too, so a run stops there."""


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


class NodeError(ForkflowError):
    """A node name a command was given names no node of the network, or one that does not fit there
    (the root where a parent is needed, a node that is not upstream, a name already taken)."""


class ShardError(ForkflowError):
    """A shard (K/N) is malformed, or the cluster that runs the shards cannot be used."""


class EventError(ForkflowError):
    """The GitHub event the bot was started for cannot be read or acted on."""


class PlanError(ForkflowError):
    """What was asked leaves nothing to do, or its plan has problems that stop it."""


class HookError(ForkflowError):
    """A git hook cannot be installed."""


class OutputError(ForkflowError):
    """A file a command was asked to write (a report, a chart) cannot be written."""


class ExampleError(ForkflowError):
    """An example network is not installed or cannot be built."""
