"""Shared changes: carried changes that several nodes carry, exactly or as similar variants.

Granularity follows the work: consecutive carried commits that the same set of nodes carry
form one *series*.  Every node's carried commits are looked at together, whatever their
place in the tree, and a shared change is proposed to the carriers' nearest common ancestor.
A commit whose diff cannot be read (objects missing) is still shared when several nodes
carry that same commit: its id stands in for the patch-id.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from forkflow.changes.similar import Group, Unit, find_similar
from forkflow.model import CommitReport, NodeReport, SharedChange, Variant
from forkflow.network.tree import Network
from forkflow.policy.rules import Similarity

SHARED_VERSION = 3
"""Bumped whenever the grouping changes, so cached reports are not reused across versions."""

COMMIT_KEY = "commit:"
"""What an unreadable commit is known by instead of a patch-id: this and the commit's id."""


MAX_CHANGE = 250
"""A node's commits that touch the same files are one change up to this many (GitHub lists no
more of a pull request); past it they are a branch's history, not one change."""


@dataclass(frozen=True)
class _Series:
    """Consecutive carried commits that the same nodes carry with the same keys (patch-ids, or
    the commit ids of commits whose diff cannot be read)."""

    keys: tuple[str, ...]
    carriers: dict[str, tuple[str, ...]]  # node -> its commits, oldest first


def find_shared_changes(
    network: Network,
    nodes: Sequence[NodeReport],
    commits: Mapping[str, CommitReport],
    fingerprints: Mapping[str, tuple[int, ...]],
    similarity: Similarity,
) -> list[SharedChange]:
    """Every shared change of the network, biggest first."""
    order = tree_positions(network)
    series, units = comparison_units(order, nodes, commits, fingerprints)
    groups = find_similar(units, similarity.threshold, messages=similarity.messages)
    grouped = {unit.key for group in groups for unit in group.units}
    by_key = {_series_key(run): run for run in series}
    changes = [_exact_change(network, order, run, commits) for key, run in by_key.items() if key not in grouped]
    changes += [_similar_change(network, order, group, by_key, commits) for group in groups]
    changes.sort(key=lambda change: (-len(change.nodes), -(change.insertions + change.deletions), change.id))
    return changes


def comparison_units(
    order: Mapping[str, int],
    nodes: Sequence[NodeReport],
    commits: Mapping[str, CommitReport],
    fingerprints: Mapping[str, tuple[int, ...]],
) -> tuple[list[_Series], list[Unit]]:
    """The exact series of the network, and every unit similar-change detection compares.

    The units are each series (carried by every node of it), each carried commit outside a
    series, and each node's change (:func:`change_units`).
    """
    carried = {node.name: list(node.carried) for node in nodes if node.carried}  # oldest first
    unreadable = {node.name: list(node.unreadable) for node in nodes if node.unreadable}
    series = _exact_series(order, _walks(carried, unreadable, commits))
    in_series = {cid for run in series for cids in run.carriers.values() for cid in cids}
    units = [_series_unit(run, fingerprints, commits) for run in series]
    for name, cids in carried.items():
        for position, cid in enumerate(cids):
            if cid not in in_series and commits[cid].patch_id is not None and fingerprints.get(cid):
                units.append(commit_unit(name, position, cid, fingerprints[cid], commits[cid].summary))
        units += change_units(name, [cid for cid in cids if cid not in in_series], fingerprints, commits)
    return series, units


def change_units(
    name: str, cids: Sequence[str], fingerprints: Mapping[str, tuple[int, ...]], commits: Mapping[str, CommitReport]
) -> list[Unit]:
    """A node's carried commits that touch the same files, each such set as one change.

    Two people meeting the same need rarely cut it into the same commits: one sends a fix and
    its test in one commit, another in three, with a typo fixed on the way.  So besides each
    commit, the commits of a node that touch a file in common (directly or through one another)
    are compared as one change: all of a pull request, as a rule.
    """
    readable = [cid for cid in cids if fingerprints.get(cid) and commits[cid].patch_id is not None]
    root = {cid: cid for cid in readable}

    def find(cid: str) -> str:
        while root[cid] != cid:
            root[cid] = root[root[cid]]
            cid = root[cid]
        return cid

    first_with: dict[str, str] = {}
    for cid in readable:
        for path in commits[cid].paths:
            other = first_with.setdefault(path, cid)
            root[find(cid)] = find(other)
    parts: dict[str, list[str]] = defaultdict(list)
    for cid in readable:  # oldest first, as carried
        parts[find(cid)].append(cid)
    return [
        Unit(
            key="change:" + digest(part),
            nodes=frozenset([name]),
            commits=tuple(part),
            tokens=frozenset(token for cid in part for token in fingerprints[cid]),
            message=commits[part[0]].summary,
        )
        for part in parts.values()
        if 2 <= len(part) <= MAX_CHANGE
    ]


def tree_positions(network: Network) -> dict[str, int]:
    """Each node's place in the tree order (parents before children), for sorting carriers."""
    return network.positions()


def _walks(
    carried: Mapping[str, list[str]], unreadable: Mapping[str, list[str]], commits: Mapping[str, CommitReport]
) -> dict[str, list[list[tuple[str, str | None]]]]:
    """Each node's carried commits, then its unreadable ones, each commit with its key.

    The key is the patch-id (None for an empty commit: not a change); a commit whose diff
    cannot be read is known by its id, since the same commit in several nodes is the same
    change.  Where an unreadable commit sits among the carried ones is not known (the node's
    report lists them apart), so the two are walked apart and a series never spans both.
    """
    walks: dict[str, list[list[tuple[str, str | None]]]] = defaultdict(list)
    for name, cids in carried.items():
        walks[name].append([(cid, commits[cid].patch_id) for cid in cids])
    for name, cids in unreadable.items():
        walks[name].append([(cid, COMMIT_KEY + cid) for cid in cids])
    return walks


def _exact_series(order: Mapping[str, int], walks: Mapping[str, list[list[tuple[str, str | None]]]]) -> list[_Series]:
    by_key: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, lists in walks.items():
        for walk in lists:
            for cid, key in walk:
                if key is not None:
                    by_key[key][name].append(cid)
    runs: list[_Series] = []
    for name in sorted(walks, key=order.__getitem__):
        for walk in walks[name]:
            runs += _runs_of(name, walk, order, by_key)
    return runs


def _runs_of(
    name: str,
    walk: list[tuple[str, str | None]],
    order: Mapping[str, int],
    by_key: Mapping[str, Mapping[str, list[str]]],
) -> list[_Series]:
    """The series that start in ``name`` (the first of their carriers in tree order) along one walk."""
    runs: list[_Series] = []
    current: list[str] = []
    current_set: frozenset[str] = frozenset()
    for _cid, key in [*walk, ("", None)]:  # a sentinel closes the last run
        owners = frozenset(by_key[key]) if key is not None else frozenset()
        first = min(owners, key=order.__getitem__) if len(owners) >= 2 else None
        if current and (owners != current_set or first != name or key in current):
            runs.append(_series(current, by_key))
            current = []
        if first == name and key is not None:
            current.append(key)
            current_set = owners
    return runs


def _series(keys: list[str], by_key: Mapping[str, Mapping[str, list[str]]]) -> _Series:
    carriers: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        for name, cids in by_key[key].items():
            carriers[name].extend(cids)
    return _Series(tuple(keys), {name: tuple(cids) for name, cids in carriers.items()})


def _series_key(run: _Series) -> str:
    return "exact:" + ",".join(run.keys)


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
    patch_ids = [key for key in run.keys if not key.startswith(COMMIT_KEY)]
    every = [cid for cids in run.carriers.values() for cid in cids]
    return shared_change(f"exact-{_exact_name(run.keys)}", "exact", network, [variant], commits, patch_ids, None, every)


def _exact_name(keys: Sequence[str]) -> str:
    """The first twelve digits of the patch-id (a series: of a digest of its keys); for commits
    whose diff cannot be read, ``commit-`` and the same of the commit ids."""
    plain = [key.removeprefix(COMMIT_KEY) for key in keys]
    name = plain[0][:12] if len(plain) == 1 else digest(plain)
    return f"commit-{name}" if keys[0].startswith(COMMIT_KEY) else name


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
