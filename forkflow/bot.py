"""``forkflow bot``: what the GitHub Actions bot does for the event that woke it.

- ``schedule``, ``workflow_dispatch`` (no command), ``push``: fetch, scan, sync, propose, report;
- ``pull_request``: the policy check on the pull request's own commits, as a check run (or a
  commit status) and, when it fails, a comment that says why; on a bubble-up pull request, a
  comment that lists the carriers (refreshed, not repeated).

The Markdown report goes to ``GITHUB_STEP_SUMMARY`` and the figures (``unmet-needs``,
``proposals-opened``, ``violations``) to ``GITHUB_OUTPUT``: :func:`run_bot` returns them and the
command line writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from forkflow.check import check_policy
from forkflow.credential import Credential
from forkflow.errors import ForkflowError
from forkflow.fetch import apply_fetch, plan_fetch
from forkflow.forge import Forge
from forkflow.gitrepo import Person
from forkflow.hooks import protected_refusals, refusal_message
from forkflow.needs import scan_summary
from forkflow.propose import Step, apply_plan, plan_proposals
from forkflow.report import ReportInput, report_markdown
from forkflow.scan import scan_network
from forkflow.sync import SyncStep, apply_sync, plan_sync
from forkflow.workspace import Workspace

SCHEDULED = ("schedule", "workflow_dispatch", "push")
PULL_REQUEST = ("pull_request", "pull_request_target")
CARRIERS_MARKER = "forkflow:carriers"
POLICY_MARKER = "forkflow:policy"


@dataclass
class BotResult:
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    violations: int = 0


def run_bot(
    space: Workspace,
    forge: Forge,
    event_name: str,
    event: dict[str, Any],
    *,
    credential: Credential | None,
    committer: Person,
    now: datetime,
    dry_run: bool = False,
    run_id: str | None = None,
) -> BotResult:
    """Act on one event; ``run_id`` (the workflow run's) makes a re-run replace its recorded scan.

    ``credential`` answers the git servers that ask for one while fetching (its token goes only
    to the forge's hosts, over https).
    """
    if event_name in SCHEDULED:
        return scheduled_run(
            space, forge, credential=credential, committer=committer, now=now, dry_run=dry_run, run_id=run_id
        )
    if event_name in PULL_REQUEST:
        return pull_request_run(space, forge, event, dry_run=dry_run)
    known = ", ".join(SCHEDULED + PULL_REQUEST)
    raise ForkflowError(f"forkflow bot does not act on {event_name!r} events (it knows: {known})")


def scheduled_run(
    space: Workspace,
    forge: Forge,
    *,
    credential: Credential | None,
    committer: Person,
    now: datetime,
    dry_run: bool,
    run_id: str | None = None,
) -> BotResult:
    result = BotResult()
    before = space.store.scans(space.network.name)
    for fetched in apply_fetch(space.repo, plan_fetch(space.network), credential=credential):
        if not fetched.ok:
            result.problems.append(f"{fetched.step.node}: {fetched.error}")
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    existing = forge.proposals()
    syncs = plan_sync(space.network, space.repo, space.policy, existing, committer=committer, now=now)
    plan = plan_proposals(report, space.network, space.repo, space.policy, existing, committer=committer, now=now)
    if not dry_run:
        apply_sync(syncs, space.repo, space.manifest, forge, now, result.problems)
        apply_plan(plan, forge, now, result.problems)
        report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
        recorded = f"bot:{run_id}" if run_id else None
        space.store.record_scan(scan_summary(report), run_id=recorded)
    result.problems += forge.problems
    violations = check_policy(report, space.network, space.policy)
    previous = before[-1]["unmet_needs"]["percent"] if before else None
    summary = report_markdown(ReportInput(report, previous, forge.proposals(), space.policy))
    opened = [a for a in plan.actions if a.step in (Step.OPEN, Step.REOPEN) and a.proposal and a.proposal.head]
    sync_opened = [a for a in syncs if a.step == SyncStep.PROPOSE and a.proposal and a.proposal.head]
    result.summary = summary
    result.violations = len(violations)
    result.outputs = {
        "unmet-needs": f"{report.unmet_needs.percent:.1f}",
        "proposals-opened": str(0 if dry_run else len(opened) + len(sync_opened)),
        "violations": str(len(violations)),
    }
    return result


def pull_request_run(space: Workspace, forge: Forge, event: dict[str, Any], *, dry_run: bool) -> BotResult:
    pull = event.get("pull_request") or {}
    head, base = pull.get("head", {}), pull.get("base", {})
    head_sha, base_sha = head.get("sha"), base.get("sha")
    if not head_sha or not base_sha:
        raise ForkflowError("the pull_request event has no head and base commits (GITHUB_EVENT_PATH)")
    node = node_of_repository(space, (event.get("repository") or {}).get("full_name", ""))
    commits = [str(c) for c in space.repo.own_commits(head_sha, base_sha)]
    refusals = protected_refusals(space.repo, commits, space.policy)
    ok = not refusals
    title = "No protected path changed" if ok else f"{len(refusals)} commit(s) change protected paths"
    summary = refusal_message(refusals, space.policy) if refusals else f"{len(commits)} commit(s) checked."
    result = BotResult(summary=f"## forkflow policy\n\n{title}\n\n```\n{summary}\n```\n", violations=len(refusals))
    result.outputs = {"unmet-needs": "", "proposals-opened": "0", "violations": str(len(refusals))}
    if dry_run or node is None:
        return result
    number = int(pull.get("number", 0))
    forge.report_check(node, head_sha, ok=ok, title=title, summary=summary)
    if refusals:
        forge.comment(number, f"**forkflow: {title}**\n\n```\n{summary}\n```", marker=POLICY_MARKER, target=node)
    if str(head.get("ref", "")).startswith("forkflow/bubble-up/"):
        proposal = forge.get(number, target=node)
        rows = "\n".join(f"- `{name}`" for name in proposal.carriers)
        text = f"**Carried by {len(proposal.carriers)} node(s):**\n\n{rows}"
        forge.comment(number, text, marker=CARRIERS_MARKER, target=node)
    return result


def node_of_repository(space: Workspace, full_name: str) -> str | None:
    """The node whose url is the repository ``owner/name`` (None when none is)."""
    from forkflow.forge.github import repo_of  # github3 is imported only by the commands that talk to GitHub

    for spec in space.manifest.nodes:
        if spec.url is None:
            continue
        try:
            owner, name = repo_of(spec.url)
        except ForkflowError:
            continue
        if f"{owner}/{name}".lower() == full_name.lower():
            return spec.name
    return None
