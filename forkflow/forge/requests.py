"""What the GitHub and GitLab forges share: the review requests (pull requests, merge requests)
forkflow has seen, found again by number, and the refusals that keep it from opening twice."""

from __future__ import annotations

from typing import Any

from forkflow.errors import ForgeError
from forkflow.forge import Proposal


class SeenRequests:
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

    def proposals(self) -> list[Proposal]:
        raise NotImplementedError

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
