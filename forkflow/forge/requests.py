"""What the GitHub and GitLab forges share: the review requests (pull requests, merge requests)
forkflow has seen, found again by number, and the refusals that keep it from opening twice."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from forkflow.errors import ForgeError
from forkflow.forge import Proposal
from forkflow.forge.meta import MetaError
from forkflow.problems import StepProblem


class SeenRequests(ABC):
    """A forge's review requests as its last listing saw them.

    A subclass fills ``_where`` (``(target, number)`` -> the library's object, the proposal),
    ``_unlisted`` (nodes whose requests could not be listed) and ``_foreign`` (``(node, branch)``
    -> an open request whose forkflow block cannot be read), and names its requests.
    """

    REQUEST = "pull request"
    MARK = "#"  # how the forge writes a request's number: #12 on GitHub, !12 on GitLab
    PLACES = "repositories"

    _where: dict[tuple[str, int], tuple[Any, Proposal]]
    _unlisted: set[str]
    _foreign: dict[tuple[str, str], int]
    problems: list[StepProblem]

    @abstractmethod
    def proposals(self) -> list[Proposal]:
        """List the forge's requests again, filling what this class reads."""

    @abstractmethod
    def _note_foreign(self, node: str, request: Any) -> None:
        """Remember ``request`` in ``_foreign`` when it is open on a forkflow branch."""

    def _read_request(
        self, node: str, where: str, number: int, request: Any, read: Callable[[str, str, Any], Proposal | None]
    ) -> Proposal | None:
        """The proposal ``read(node, where, request)`` finds in the request ``number`` of ``node``'s
        repository or project ``where``; None when it holds none, and a problem when its forkflow
        block cannot be read."""
        try:
            proposal = read(node, where, request)
        except MetaError as err:
            self._note_foreign(node, request)
            reason = f"{err}; restore the block, or delete it (forkflow then leaves the {self.REQUEST} alone)"
            item = f"{where}{self.MARK}{number}"
            self.problems.append(StepProblem(node=node, step=f"read {self.REQUEST}", item=item, reason=reason))
            return None
        if proposal is None:
            self._note_foreign(node, request)  # not forkflow's: its branch is not forkflow's to push
        return proposal

    def _locate(self, number: int, target: str | None) -> tuple[str, Any, Proposal]:
        """The request ``number`` (of ``target``'s repository or project: numbers are per place), listed again once."""
        for attempt in range(2):
            found = [(t, *seen) for (t, n), seen in self._where.items() if n == number and target in (None, t)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                where = ", ".join(t for t, _, _ in found)
                raise ForgeError(
                    f"{self.REQUEST} {self.MARK}{number} exists in several {self.PLACES} ({where}); name the node"
                )
            if attempt == 0:
                self.proposals()
        raise ForgeError(f"no forkflow {self.REQUEST} {self.MARK}{number} in the network's {self.PLACES}")

    def _may_open(self, proposal: Proposal) -> None:
        """Refuse what could duplicate a request, or push over a branch someone else's request uses."""
        if proposal.target in self._unlisted:
            unlisted = f"the {self.REQUEST}s of {proposal.target!r} could not be listed"
            raise ForgeError(f"not opened: {unlisted}, so one may be open already")
        number = self._foreign.get((proposal.target, proposal.branch))
        if number is not None:
            raise ForgeError(
                f"not opened: {self.REQUEST} {self.MARK}{number} uses the branch {proposal.branch} and forkflow cannot "
                f"read its forkflow:meta block; restore the block, or close that {self.REQUEST}"
            )
