"""Shared changes: carried changes that several nodes carry, exactly or as similar variants.

Granularity follows the work: consecutive carried commits that the same set of nodes carry
form one *series*.  Every node's carried commits are looked at together, whatever their
place in the tree, and a shared change is proposed to the carriers' nearest common ancestor.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from forkflow.model import CommitReport, NodeReport, SharedChange, Variant
from forkflow.network import Network
from forkflow.policy import Similarity
from forkflow.similar import Group, Unit, find_similar

SHARED_VERSION = 1
"""Bumped whenever the grouping changes, so cached reports are not reused across versions."""


@dataclass(frozen=True)
class _Series:
    """Consecutive carried commits that the same nodes carry with the same patch-ids."""

    patch_ids: tuple[str, ...]
    carriers: dict[str, tuple[str, ...]]  # node -> its commits, oldest first


def find_shared_changes(
    network: Network,
    nodes: Sequence[NodeReport],
    commits: Mapping[str, CommitReport],
    fingerprints: Mapping[str, tuple[int, ...]],
    similarity: Similarity,
) -> list[SharedChange]:
    """Every shared change of the network, biggest first."""
    carried = {node.name: list(node.carried) for node in nodes if node.carried}  # oldest first
    order = tree_positions(network)
    series = _exact_series(order, carried, commits)
    in_series = {cid for run in series for cids in run.carriers.values() for cid in cids}
    units = [_series_unit(run, fingerprints, commits) for run in series]
    for name, cids in carried.items():
        for position, cid in enumerate(cids):
            if cid not in in_series and commits[cid].patch_id is not None and fingerprints.get(cid):
                units.append(commit_unit(name, position, cid, fingerprints[cid], commits[cid].summary))
    groups = find_similar(units, similarity.threshold, messages=similarity.messages)
    grouped = {unit.key for group in groups for unit in group.units}
    by_key = {_series_key(run): run for run in series}
    changes = [_exact_change(network, order, run, commits) for key, run in by_key.items() if key not in grouped]
    changes += [_similar_change(network, order, group, by_key, commits) for group in groups]
    changes.sort(key=lambda change: (-len(change.nodes), -(change.insertions + change.deletions), change.id))
    return changes


def tree_positions(network: Network) -> dict[str, int]:
    """Each node's place in the tree order (parents before children), for sorting carriers."""
    return network.positions()


def _exact_series(
    order: Mapping[str, int], carried: Mapping[str, list[str]], commits: Mapping[str, CommitReport]
) -> list[_Series]:
    by_patch: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, cids in carried.items():
        for cid in cids:
            patch_id = commits[cid].patch_id
            if patch_id is not None:
                by_patch[patch_id][name].append(cid)
    runs: list[_Series] = []
    for name in sorted(carried, key=order.__getitem__):
        current: list[str] = []
        current_set: frozenset[str] = frozenset()
        for cid in carried[name] + [""]:  # a sentinel closes the last run
            patch_id = commits[cid].patch_id if cid else None
            owners = frozenset(by_patch[patch_id]) if patch_id is not None else frozenset()
            first = min(owners, key=order.__getitem__) if len(owners) >= 2 else None
            if current and (owners != current_set or first != name or patch_id in current):
                runs.append(_series(current, by_patch))
                current = []
            if first == name and patch_id is not None:
                current.append(patch_id)
                current_set = owners
    return runs


def _series(patch_ids: list[str], by_patch: Mapping[str, Mapping[str, list[str]]]) -> _Series:
    carriers: dict[str, list[str]] = defaultdict(list)
    for patch_id in patch_ids:
        for name, cids in by_patch[patch_id].items():
            carriers[name].extend(cids)
    return _Series(tuple(patch_ids), {name: tuple(cids) for name, cids in carriers.items()})


def _series_key(run: _Series) -> str:
    return "exact:" + ",".join(run.patch_ids)


def _series_unit(
    run: _Series, fingerprints: Mapping[str, tuple[int, ...]], commits: Mapping[str, CommitReport]
) -> Unit:
    sample = next(iter(run.carriers.values()))
    tokens = frozenset(token for cid in sample for token in fingerprints.get(cid, ()))
    return Unit(
        key=_series_key(run),
        nodes=frozenset(run.carriers),
        commits=tuple(cid for cids in run.carriers.values() for cid in cids),
        tokens=tokens,
        message=commits[sample[0]].summary,
    )


def commit_unit(name: str, position: int, cid: str, fingerprint: tuple[int, ...], summary: str) -> Unit:
    """One carried commit of one node, as similar-change detection sees it."""
    return Unit(
        key=f"commit:{cid}",
        nodes=frozenset([name]),
        commits=(cid,),
        tokens=frozenset(fingerprint),
        message=summary,
        order=(name, position),
    )


def target_of(network: Network, carriers: Sequence[str]) -> str:
    """Where a change carried by these nodes is proposed: the nearest common ancestor of their parents."""
    chains = []
    for name in carriers:
        start = network.parent(name) or name
        chain = [start]
        while (parent := network.parent(chain[-1])) is not None:
            chain.append(parent)
        chains.append(chain)
    common = set(chains[0]).intersection(*chains[1:])
    return next(name for name in chains[0] if name in common)  # the root is common to all


def _exact_change(
    network: Network, order: Mapping[str, int], run: _Series, commits: Mapping[str, CommitReport]
) -> SharedChange:
    carriers = sorted(run.carriers, key=order.__getitem__)
    variant = Variant(nodes=carriers, commits=list(run.carriers[carriers[0]]))
    name = run.patch_ids[0][:12] if len(run.patch_ids) == 1 else digest(run.patch_ids)
    every = [cid for cids in run.carriers.values() for cid in cids]
    return shared_change(f"exact-{name}", "exact", network, [variant], commits, run.patch_ids, None, every)


def _similar_change(
    network: Network,
    order: Mapping[str, int],
    group: Group,
    series: Mapping[str, _Series],
    commits: Mapping[str, CommitReport],
) -> SharedChange:
    variants = []
    patch_ids: list[str] = []
    for unit in group.units:
        carriers = sorted(unit.nodes, key=order.__getitem__)
        run = series.get(unit.key)
        own = list(run.carriers[carriers[0]]) if run is not None else list(unit.commits)
        variants.append(Variant(nodes=carriers, commits=own))
    # The oldest variant anchors the id, so carriers that join later do not change it.
    variants.sort(key=lambda v: (min(commits[c].date for c in v.commits), v.commits))
    for variant in variants:
        patch_ids.extend(p for c in variant.commits if (p := commits[c].patch_id) is not None)
    anchor = [commits[c].patch_id or c for c in variants[0].commits]
    every = [cid for unit in group.units for cid in unit.commits]
    return shared_change(
        f"similar-{digest(anchor)}", "similar", network, variants, commits, patch_ids, group.score, every
    )


def shared_change(
    change_id: str,
    kind: str,
    network: Network,
    variants: list[Variant],
    commits: Mapping[str, CommitReport],
    patch_ids: Sequence[str],
    score: float | None,
    every: Sequence[str],
    *,
    tree_order: bool = True,
) -> SharedChange:
    """A shared change from its variants (the first is the one its summary and size describe).

    Its carriers are listed in tree order, or (``tree_order=False``) in the variants' order.
    """
    nodes = list(dict.fromkeys(name for variant in variants for name in variant.nodes))
    if tree_order:
        nodes.sort(key=tree_positions(network).__getitem__)
    own = [commits[cid] for cid in variants[0].commits]
    everything = sorted(set(every))
    authors = list(
        dict.fromkeys(f"{commits[c].author} <{commits[c].email}>" for c in sorted(every, key=_by_date(commits)))
    )
    return SharedChange(
        id=change_id,
        kind=kind,
        nodes=nodes,
        commits=everything,
        patch_id=patch_ids[0] if patch_ids else None,
        patch_ids=list(dict.fromkeys(patch_ids)),
        summary=own[0].summary,
        authors=authors,
        paths=sorted({path for cid in variants[0].commits for path in commits[cid].paths}),
        first_seen=min(commits[c].date for c in everything),
        insertions=sum(c.insertions for c in own),
        deletions=sum(c.deletions for c in own),
        score=score,
        target=target_of(network, nodes),
        variants=variants,
    )


def _by_date(commits: Mapping[str, CommitReport]) -> Callable[[str], tuple[str, str]]:
    return lambda cid: (commits[cid].date, cid)


def digest(parts: Sequence[str]) -> str:
    return hashlib.sha1("\n".join(parts).encode(), usedforsecurity=False).hexdigest()[:12]
