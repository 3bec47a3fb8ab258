"""The title and body of a bubble-up proposal, written for the maintainer who reviews it."""

from __future__ import annotations

from dataclasses import dataclass

from forkflow.gitrepo import Applied, GitRepo, diffstat
from forkflow.model import ScanReport, SharedChange, Variant
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy

MARKER = "<!-- forkflow:bubble-up change={id} -->"
MESSAGES_SHOWN = 10
"""A series (a release branch, say) can carry thousands of commits: the body shows the first few."""
IDS_SHOWN = 5


@dataclass(frozen=True)
class Build:
    """The branch built for a change: the variant that applied, and those that conflicted."""

    applied: Applied | None
    variant: Variant | None
    tried: tuple[tuple[Variant, Applied], ...] = ()
    already_there: bool = False


def proposal_title(report: ScanReport, change: SharedChange, build: Build | None = None) -> str:
    """The first commit's subject of the variant that was applied (of the oldest one when none applied)."""
    chosen = build.variant if build is not None and build.variant is not None else None
    first = chosen.commits if chosen else change.variants[0].commits if change.variants else change.commits
    title = report.commits[first[0]].summary
    if len(first) > 1:
        title += f" (+{len(first) - 1} more commit{'s' if len(first) > 2 else ''})"
    return title


def proposal_body(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    policy: Policy,
    change: SharedChange,
    build: Build,
    base: str,
) -> str:
    target = change.target or network.root
    parts = [
        MARKER.format(id=change.id),
        _intro(change, target),
        _what_it_does(repo, build, change),
        _carriers(report, change),
        _diffstat(repo, build, base),
        _protected(policy, change),
        _effect(report, change),
        _how_built(build, change, base),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _intro(change: SharedChange, target: str) -> str:
    if change.id.startswith("contrib-"):
        own, others = change.nodes[0], change.nodes[1:]
        text = f"**A contribution from `{own}`** for `{target}`."
        if others:
            text += f" {len(others)} other node(s) already carry the same or a similar change: {', '.join(others)}."
        return text
    score = f", similarity {change.score:.2f}" if change.score is not None else ""
    how = "the same patch" if change.kind == "exact" else f"similar changes{score}"
    return (
        f"**{len(change.nodes)} nodes carry this change** ({how}) that `{target}` does not ship yet. "
        f"forkflow proposes it once, here, instead of each node keeping its own copy."
    )


def _what_it_does(repo: GitRepo, build: Build, change: SharedChange) -> str:
    variant = build.variant or change.variants[0]
    lines = ["### What it does", ""]
    for cid in variant.commits[:MESSAGES_SHOWN]:
        message = repo.commit_message(cid).strip()
        subject, _, rest = message.partition("\n")
        lines.append(f"**{subject}**")
        if rest.strip():
            lines += ["", rest.strip()]
        lines.append("")
    hidden = len(variant.commits) - MESSAGES_SHOWN
    if hidden > 0:
        lines.append(f"... and {hidden} more commit(s); the branch's history lists them all.")
    return "\n".join(lines).rstrip()


def _carriers(report: ScanReport, change: SharedChange) -> str:
    rows = ["### Who carries it", "", "| node | tier | commits | since |", "| --- | --- | --- | --- |"]
    for variant in change.variants:
        for name in variant.nodes:
            node = report.node(name)
            own = [cid for cid in node.carried if cid in set(change.commits)] or variant.commits
            since = min(report.commits[cid].date for cid in own)[:10]
            shown = ", ".join(f"`{cid[:10]}`" for cid in own[:IDS_SHOWN])
            if len(own) > IDS_SHOWN:
                shown += f" (+{len(own) - IDS_SHOWN} more)"
            rows.append(f"| {name} | {node.tier} | {shown} | {since} |")
    authors = ", ".join(change.authors)
    rows += ["", f"Authors, all credited with `Co-authored-by:` trailers: {authors}."]
    return "\n".join(rows)


def _diffstat(repo: GitRepo, build: Build, base: str) -> str:
    if build.applied is None or build.applied.head is None:
        return ""
    files = diffstat(repo, base, build.applied.head)
    rows = ["### Diffstat", "", "```"]
    width = max((len(path) for path, _, _ in files), default=0)
    for path, added, removed in files:
        rows.append(f" {path.ljust(width)} | +{added} -{removed}")
    total_add = sum(a for _, a, _ in files)
    total_del = sum(d for _, _, d in files)
    rows += [f" {len(files)} file(s) changed, {total_add} insertion(s)(+), {total_del} deletion(s)(-)", "```"]
    return "\n".join(rows)


def _protected(policy: Policy, change: SharedChange) -> str:
    touched = policy.protected(change.paths)
    if not touched:
        return f"### Protected paths\n\nNone touched (policy: `{policy.source}`)."
    listed = "\n".join(f"- `{path}`" for path in touched)
    return f"### Protected paths\n\n**This change touches paths only central may change** ({policy.source}):\n{listed}"


def _effect(report: ScanReport, change: SharedChange) -> str:
    figure = report.unmet_needs
    occurrences = sum(1 for node in report.nodes for cid in node.carried if cid in set(change.commits))
    unmet, met = figure.unmet - occurrences, figure.met + occurrences
    after = round(100.0 * unmet / (unmet + met), 1) if unmet + met else 0.0
    return (
        "### Effect on unmet needs\n\n"
        f"Merged, and taken by its carriers, this change would take the network's unmet-needs figure "
        f"from **{figure.percent:.1f}%** to **{after:.1f}%** ({occurrences} carried commit(s) fewer)."
    )


def _how_built(build: Build, change: SharedChange, base: str) -> str:
    lines = ["### How this branch was made", ""]
    if build.variant is not None:
        lines.append(
            f"The variant of {', '.join(build.variant.nodes)} was applied on `{base[:12]}` "
            f"(commits {', '.join(c[:10] for c in build.variant.commits)}), in memory."
        )
    else:
        lines.append(f"**No variant applies cleanly on `{base[:12]}`**; the change needs a hand merge.")
    for variant, applied in build.tried:
        failed = applied.failed[:10] if applied.failed else "?"
        lines.append(
            f"- the variant of {', '.join(variant.nodes)} conflicts in {', '.join(applied.conflicts)} "
            f"(at commit {failed})"
        )
    lines += ["", f"Shared change `{change.id}` ({change.kind}); `forkflow shared` lists them all."]
    return "\n".join(lines)
