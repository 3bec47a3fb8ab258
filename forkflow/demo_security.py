"""The demo's security act: central ships a fix for the session cookie; the colleges that lack it
get a backport of only the fix; two are merged, as their maintainers would; the coverage rises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from forkflow.forge.local import LocalForge
from forkflow.gitrepo.build import FileChange, HistoryBuilder, Person
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.propose.bubble_up import committer_for
from forkflow.scan.nodes import resolve_heads
from forkflow.security.backport import BackportStep, apply_backports, plan_backports
from forkflow.security.coverage import SecurityReport, network_security
from forkflow.workspace import Workspace, open_workspace

FIX_ID = "LGU-SA-2026-01"
CENTRAL_IT = Person("Grace Whitfield", "gwhitfield@it.lgu.edu")
_COOKIE_LINE = re.compile(rb'(    return f"\{SESSION_COOKIE\}=\{sign\(payload, secret\)\}; Path=/; HttpOnly)([^"\n]*)"')
MESSAGE = f"""Expire the session cookie after eight hours

A session cookie with no Max-Age lives as long as the browser does, so a
recording-management session opened on a lab machine stayed open for the
next person. Sessions now end after eight hours.

Forkflow-Security: {FIX_ID}
"""


@dataclass(frozen=True)
class SecurityAct:
    lines: list[str]
    before: SecurityReport
    after: SecurityReport


def security_act(work: Path, now: datetime, *, merge: int = 2) -> SecurityAct:
    space = open_workspace(work)
    _ship_fix(space, now)
    heads, _ = resolve_heads(space.network, space.repo)
    before = _coverage(space, now, heads)
    lacking = [c.node for c in before.coverage if c.status == "missing"]
    lines = [
        "",
        f"Security fix {FIX_ID}: central expires the session cookie (forkflow security)",
        f"  {len(lacking)} of {before.total} nodes lack it: {', '.join(lacking[:5])}"
        + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""),
    ]
    forge = LocalForge(space.repo, space.store, space.manifest)
    committer = committer_for(space.repo)
    actions = plan_backports(space.repo, before, heads, forge.proposals(), committer=committer, now=now)
    opened = apply_backports(actions, forge, now, [])
    clean = [p for p in opened if p.head is not None]
    lines.append(
        f"  {sum(a.step == BackportStep.OPEN for a in actions)} backport(s) of only the fix opened, "
        f"{len(clean)} apply cleanly (forkflow security --backport)"
    )
    for proposal in clean[:merge]:
        done = forge.merge(proposal.number, committer=committer, when=int(now.timestamp()))
        lines.append(f"  merged #{done.number} into {done.target}: {done.title}")
    after = _coverage(space, now)
    lines.append(f"Security coverage: {before.percent:.1f}% before, {after.percent:.1f}% after")
    return SecurityAct(lines, before, after)


def _ship_fix(space: Workspace, now: datetime) -> None:
    """The fix as central's maintainers commit it: on central's head, pushed to its repository, fetched."""
    spec = space.manifest.node(space.network.root)
    head = space.repo.resolve(spec.head_ref)
    assert head is not None and spec.url is not None
    builder = HistoryBuilder(space.repo)
    found = builder.read(head, "vms/auth.py")
    assert found is not None
    data, mode = found
    fixed = _COOKIE_LINE.sub(lambda m: m.group(1) + m.group(2) + b'; Max-Age=28800"', data, count=1)
    assert fixed != data, "the example's vms/auth.py no longer sets the session cookie as the act expects"
    commit = builder.commit([head], [FileChange("vms/auth.py", fixed, mode)], CENTRAL_IT, int(now.timestamp()), MESSAGE)
    builder.push(space.manifest.resolve_url(spec.url), [f"{commit}:refs/heads/{spec.branch or 'main'}"])
    apply_fetch(space.repo, plan_fetch(space.network, {space.network.root}))


def _coverage(space: Workspace, now: datetime, heads: dict[str, str | None] | None = None) -> SecurityReport:
    found = network_security(space.repo, space.network, space.policy, now, store=space.store, heads=heads)
    assert found is not None
    return found
