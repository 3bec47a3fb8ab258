"""The needs central declares (needs.toml), read from its head, or from the store when collecting."""

from __future__ import annotations

from forkflow.errors import StoreError
from forkflow.gitrepo import GitRepo, read_blob_at
from forkflow.model import (
    DeclaredNeeds,
)
from forkflow.needs.figure import NEED_TRAILER, NEEDS_FILE, declared_needs, parse_register
from forkflow.store.store import Store


def declared_in(repo: GitRepo, central: str) -> DeclaredNeeds | None:
    """The register of declared needs at central's head, against the ``Need:`` trailers central has."""
    text = read_blob_at(repo, central, NEEDS_FILE)
    if text is None:
        return None
    register = parse_register(text.decode("utf-8", "replace"), f"{NEEDS_FILE} at {central[:12]}")
    return declared_needs(register, repo.trailer_values(central, NEED_TRAILER))


def declared_key(central: str) -> str:
    return f"declared:{central}"


def stored_declared(store: Store, central: str) -> DeclaredNeeds | None:
    fact = store.fact(declared_key(central))
    if fact is None:
        raise StoreError(f"no shard recorded the declared needs at central's head {central[:12]}; run the shards first")
    return DeclaredNeeds.model_validate(fact["declared"]) if fact["declared"] is not None else None
