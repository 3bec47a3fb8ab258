"""A scan cut into shards: each machine compares its share of the nodes and keeps the results in the
shared store, for one machine to collect."""

from __future__ import annotations

from datetime import UTC, datetime

from forkflow.errors import StoreError
from forkflow.gitrepo import GitRepo
from forkflow.model import (
    Problem,
)
from forkflow.network.shard import Shard
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.commits import commit_reports
from forkflow.scan.declared import declared_in, declared_key
from forkflow.scan.facts import CommitFacts
from forkflow.scan.nodes import Progress, compare_all, node_report, resolve_heads
from forkflow.store.store import ShardHead, Store

DEFAULT_RUN = "local"
"""The run id of shards and collect when none is given (one machine's shards, one after another)."""


def scan_shard(
    network: Network,
    repo: GitRepo,
    store: Store,
    shard: Shard,
    *,
    run_id: str = DEFAULT_RUN,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Compare this shard's nodes with their parents and keep in the (shared) store all that
    the collecting machine needs: the heads seen in run ``run_id``, the comparisons, and what
    the report says of every commit involved.  Running it again adds nothing twice."""
    policy = policy or Policy()
    heads, problems = resolve_heads(network, repo, shard.fetched(network))  # only the heads it fetched
    why = {problem.node: problem for problem in problems}
    seen = {
        name: ShardHead(head, why[name].field, why[name].message) if name in why else ShardHead(head)
        for name, head in heads.items()
    }
    mine = shard.nodes(network)
    facts = CommitFacts(repo, store, record_infos=True)
    compared = compare_all(network, repo, store, facts, heads, progress, only=set(mine))
    pairs = compared.finish(compared.predict())
    epoch = datetime.fromtimestamp(0, UTC)  # ages are the collector's to compute
    nodes = [node_report(network, facts, name, heads, pairs, epoch, policy.similarity.threshold) for name in mine]
    commit_reports(facts, nodes, policy)  # reads, and so records, every commit the report shows
    facts.flush()
    central = heads[network.root]
    if central is not None and store.fact(declared_key(central)) is None:
        declared = declared_in(repo, central)
        store.save_fact(declared_key(central), {"declared": declared.model_dump(mode="json") if declared else None})
    store.save_shard_heads(network.name, run_id, seen)  # last: a shard that fails half-way is not collected
    return mine


def collected_heads(network: Network, store: Store, run_id: str) -> tuple[dict[str, str | None], list[Problem]]:
    recorded = store.shard_heads(network.name, run_id)
    missing = [name for name in network.tree_order() if name not in recorded]
    if missing:
        raise StoreError(
            f"run {run_id!r}: no shard has recorded {', '.join(missing)}; "
            f"run their shards first (forkflow scan --shard K/N --run-id {run_id})"
        )
    heads = {name: recorded[name].head for name in network.tree_order()}
    problems = [
        Problem(node=name, field=recorded[name].field or "ref", message=recorded[name].problem or "not resolved")
        for name in network.tree_order()
        if recorded[name].head is None
    ]
    return heads, problems
