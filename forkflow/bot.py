"""``forkflow bot``: what the GitHub Actions bot does for the event that woke it.

- ``schedule``, ``workflow_dispatch`` (no command), ``push``: fetch, scan, sync, propose, security backports, report;
- ``issues`` (edited, on the dashboard, with a box ticked): the scheduled run, which carries the ticked action out;
- ``pull_request``: the policy check on the pull request's own commits, as a check run (or a
  commit status) and, when it fails, a comment that says why; on a bubble-up pull request, a
  comment that lists the carriers (refreshed, not repeated).

Each step of a run succeeds or fails on its own: a node that cannot be fetched, a repository
whose pull requests cannot be listed, a push or a pull request the forge refuses, is a
:class:`~forkflow.problems.StepProblem` in :attr:`BotResult.problems`, and the run goes on.  The
scan stops a run when it fails (nothing after it can be decided without it), and so does an
exhausted rate limit.

On GitHub Actions the Markdown report goes to ``GITHUB_STEP_SUMMARY`` and the figures
(``unmet-needs``, ``proposals-opened``, ``violations``) to ``GITHUB_OUTPUT``; on any other CI
(:mod:`forkflow.ci`) they go to files in a folder, with the HTML and JUnit reports:
:func:`run_bot` returns them and the command line writes them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forkflow.bot_event import PullRequestEvent, dashboard_edit_ignored, parse_pull_request_event
from forkflow.budget import within
from forkflow.credential import Credential
from forkflow.dashboard.run import Scene, publish_board, read_board
from forkflow.errors import EventError, ForkflowError
from forkflow.forge import BRANCH_PREFIX, Advisory, Forge, Proposal
from forkflow.gitrepo import Person
from forkflow.hooks import Refusal, protected_refusals, refusal_message
from forkflow.model import ScanReport
from forkflow.needs.figure import scan_summary
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.policy.check import Violation, all_violations, security_violations
from forkflow.problems import StepProblem, one_line, problems_markdown, step, unique
from forkflow.propose.bubble_up import ProposalPlan, Step, apply_plan, plan_proposals
from forkflow.report.document import ReportInput, report_markdown
from forkflow.scan.nodes import resolve_heads
from forkflow.scan.pipeline import scan_network
from forkflow.scan.work import counting
from forkflow.security.backport import apply_backports, plan_backports
from forkflow.security.coverage import SecurityReport, head_security, network_security
from forkflow.sync import SyncAction, apply_sync, move_node, plan_sync
from forkflow.workspace import Workspace

SCHEDULED = ("schedule", "workflow_dispatch", "push")
PULL_REQUEST = ("pull_request", "pull_request_target")
CARRIERS_MARKER = "forkflow:carriers"
POLICY_MARKER = "forkflow:policy"


@dataclass
class BotResult:
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    problems: list[StepProblem] = field(default_factory=list)
    """The steps that failed, each once; the command exits 1 when there is any."""
    violations: int = 0
    work: str = ""
    """What the scans computed and what they read from the store (:meth:`ScanWork.line`)."""
    report: ReportInput | None = None
    """What the report says, for the report files (None: a pull-request run)."""
    found: list[Violation] = field(default_factory=list)
    """The policy violations the run found, for the JUnit report."""
    pull_request: int | None = None
    """The pull request (merge request) a pull-request run checked."""


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
    if event_name == "issues":
        why_not = dashboard_edit_ignored(event, space.network.name, enabled=space.policy.dashboard.enabled)
        if why_not is not None:
            outputs = {"unmet-needs": "", "proposals-opened": "0", "violations": "0"}
            return BotResult(summary=f"Nothing to do: {why_not}.\n", outputs=outputs)
    if event_name in SCHEDULED or event_name == "issues":  # a ticked dashboard box: the scheduled work
        with counting() as work:
            result = scheduled_run(
                space, forge, credential=credential, committer=committer, now=now, dry_run=dry_run, run_id=run_id
            )
        result.work = work.line()
        return result
    if event_name in PULL_REQUEST:
        return pull_request_run(space, forge, event, dry_run=dry_run, now=now)
    known = ", ".join((*SCHEDULED, "issues", *PULL_REQUEST))
    raise EventError(f"forkflow bot does not act on {event_name!r} events (it knows: {known})")


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
    problems: list[StepProblem] = []
    previous = _previous_figure(space, problems)
    for fetched in apply_fetch(space.repo, plan_fetch(space.network), credential=credential):
        if not fetched.ok:
            problems.append(StepProblem(node=fetched.step.node, step="fetch", reason=one_line(fetched.error or "")))
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    existing = forge.proposals()
    problems += forge.problems  # repositories or pull requests it could not read; later ones join at the end
    syncs = plan_sync(space.network, space.repo, space.policy, existing, committer=committer, now=now)
    plan = plan_proposals(report, space.network, space.repo, space.policy, existing, committer=committer, now=now)
    board, syncs, plan = read_board(
        space, forge, syncs, plan, committer=committer, now=now, dry_run=dry_run, problems=problems
    )  # a ticked box of the dashboard puts its held action into the plan
    opened = 0
    if not dry_run:
        opened = _apply(space, forge, syncs, plan, now, problems, credential)
        report = _rescan(space, report, now, run_id, problems)
    security = _security(space, forge, committer, now, dry_run, problems, credential)
    listed = _listed(forge, existing, problems)
    problems += [StepProblem(node=p.node, step="scan", reason=one_line(p.message)) for p in report.problems]
    scene = Scene(report, previous, listed, syncs)
    board_text = publish_board(board, space, forge, scene, now=now, dry_run=dry_run, problems=problems)
    result = BotResult(problems=unique([*problems, *forge.problems]))
    violations = all_violations(
        report, space.network, space.policy, security.coverage if security is not None else None
    )
    result.violations, result.found = len(violations), violations
    result.report = ReportInput(report, previous, listed, space.policy, security, space.network)
    summary = report_markdown(result.report) + board_text + problems_markdown(result.problems)
    result.summary = within(summary)  # GitHub's 1 MiB a step summary
    result.outputs = {
        "unmet-needs": f"{report.unmet_needs.percent:.1f}",
        "proposals-opened": str(opened),
        "violations": str(len(violations)),
    }
    return result


def _security(
    space: Workspace,
    forge: Forge,
    committer: Person,
    now: datetime,
    dry_run: bool,
    problems: list[StepProblem],
    credential: Credential | None,
) -> SecurityReport | None:
    """Who lacks which security fix; a backport of only the fix for each (whatever the tier), closed once had."""
    advisories: list[Advisory] = []
    if space.policy.security.advisories:
        with step(problems, "read advisories", node=space.network.root):
            advisories = forge.advisories(space.network.root)
    with step(problems, "security coverage"):
        heads, _ = resolve_heads(space.network, space.repo)
        found = network_security(
            space.repo, space.network, space.policy, now, store=space.store, heads=heads, advisories=advisories
        )
        if found is not None and not dry_run:
            existing, central = forge.proposals(), space.policy.security.central
            actions = plan_backports(space.repo, found, heads, existing, committer=committer, now=now, central=central)
            apply_backports(actions, forge, now, problems, mover(space, credential))
        return found
    return None


def mover(space: Workspace, credential: Credential | None) -> Callable[[str, str, str], None]:
    """Moves a node's branch (its repository's, then forkflow's ref), as sync moves a central-tier node."""
    return lambda node, old, new: move_node(space.repo, space.manifest, node, old, new, credential=credential)


def _previous_figure(space: Workspace, problems: list[StepProblem]) -> float | None:
    """The unmet-needs figure of the last recorded scan (None when there is none, or the store cannot say)."""
    with step(problems, "read scan history"):
        before = space.store.scans(space.network.name)
        return float(before[-1]["unmet_needs"]["percent"]) if before else None
    return None


def _apply(
    space: Workspace,
    forge: Forge,
    syncs: list[SyncAction],
    plan: ProposalPlan,
    now: datetime,
    problems: list[StepProblem],
    credential: Credential | None,
) -> int:
    """Sync, then propose, each node and each proposal on its own; returns how many proposals were opened."""
    synced = apply_sync(syncs, space.repo, space.manifest, forge, now, problems, credential=credential)
    done = apply_plan(plan, forge, now, problems)
    new = {action.change_id for action in plan.actions if action.step in (Step.OPEN, Step.REOPEN)}
    return sum(1 for p in synced if p.head) + sum(1 for p in done if p.change_id in new and p.head)


def _rescan(
    space: Workspace, report: ScanReport, now: datetime, run_id: str | None, problems: list[StepProblem]
) -> ScanReport:
    """The scan after the run's changes, recorded (the first scan's report when it fails: said so)."""
    with step(problems, "scan after the changes"):
        report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    with step(problems, "record the scan"):
        space.store.record_scan(scan_summary(report), run_id=f"bot:{run_id}" if run_id else None)
    return report


def _listed(forge: Forge, existing: list[Proposal], problems: list[StepProblem]) -> list[Proposal]:
    """The proposals as the run leaves them, for the report (those read before the run when they cannot be)."""
    try:
        return forge.proposals()
    except ForkflowError as err:  # a rate limit too: the run's work is done, only the report is short of it
        problems.append(StepProblem(step="report", reason=one_line(str(err))))
        return existing


def pull_request_run(
    space: Workspace, forge: Forge, event: dict[str, Any], *, dry_run: bool, now: datetime | None = None
) -> BotResult:
    """The policy check of a pull request: protected paths in its own commits, and the security
    fixes its node would still lack past their deadline once it is merged."""
    parsed = parse_pull_request_event(event)
    node = node_of_repository(space, parsed.repository.full_name)
    commits = [str(c) for c in space.repo.own_commits(parsed.pull_request.head.sha, parsed.pull_request.base.sha)]
    refusals = protected_refusals(space.repo, commits, space.policy)
    problems: list[StepProblem] = []
    late = _late_fixes(space, forge, node, parsed.pull_request.head.sha, now, problems) if node else []
    ok = not refusals and not late
    title = _check_title(len(refusals), len(late))
    summary = refusal_message(refusals, space.policy) if refusals else f"{len(commits)} commit(s) checked."
    summary += "".join(f"\n{v.node}: {v.message}; {v.fix}" for v in late)
    violations = len(refusals) + len(late)
    result = BotResult(summary=f"## forkflow policy\n\n{title}\n\n```\n{summary}\n```\n", violations=violations)
    result.problems = problems
    result.found = _refusal_violations(node or parsed.repository.full_name, refusals) + late
    result.pull_request = parsed.pull_request.number
    result.outputs = {"unmet-needs": "", "proposals-opened": "0", "violations": str(violations)}
    if dry_run or node is None:
        return result
    _answer_pull_request(space, forge, parsed, node, ok, title, summary, result.problems)
    result.summary += problems_markdown(result.problems)
    return result


def _refusal_violations(node: str, refusals: Sequence[Refusal]) -> list[Violation]:
    """A pull request's commits that change protected paths, as one violation (for the JUnit report)."""
    if not refusals:
        return []
    first = refusals[0].commit[:12]
    return [
        Violation(
            node=node,
            rule="protected_paths",
            message=f"{len(refusals)} commit(s) change paths only central may change",
            commits=[r.commit for r in refusals],
            paths=sorted({p for r in refusals for p in r.paths}),
            fix=f"propose it upstream with `forkflow contribute {first} --to central`, and take it out of this "
            "branch (git rebase -i)",
        )
    ]


def _check_title(refused: int, late: int) -> str:
    parts = [f"{refused} commit(s) change protected paths"] if refused else []
    parts += [f"{late} security fix(es) missing past the deadline"] if late else []
    return "; ".join(parts) or "No protected path changed, no security fix overdue"


def _late_fixes(
    space: Workspace, forge: Forge, node: str, head: str, now: datetime | None, problems: list[StepProblem]
) -> list[Violation]:
    """The fixes the node would lack past their deadline with this head (the backport's own pull request has them)."""
    advisories: list[Advisory] = []
    if space.policy.security.advisories:
        with step(problems, "read advisories", node=space.network.root):
            advisories = forge.advisories(space.network.root)
    with step(problems, "security coverage", node=node):
        when = now or datetime.now(UTC)
        found = head_security(
            space.repo, space.network, space.policy, node, head, when, store=space.store, advisories=advisories
        )
        return security_violations(found.coverage) if found is not None else []
    return []


def _answer_pull_request(
    space: Workspace,
    forge: Forge,
    event: PullRequestEvent,
    node: str,
    ok: bool,
    title: str,
    summary: str,
    problems: list[StepProblem],
) -> None:
    """The check run, the policy comment and the carriers comment: each on its own."""
    pull = event.pull_request
    item = f"#{pull.number}"
    with step(problems, "check", node=node, item=item):
        forge.report_check(node, pull.head.sha, ok=ok, title=title, summary=summary)
    if not ok:
        with step(problems, "comment", node=node, item=item):
            forge.comment(
                pull.number, f"**forkflow: {title}**\n\n```\n{summary}\n```", marker=POLICY_MARKER, target=node
            )
    if pull.head.ref.startswith(BRANCH_PREFIX):
        with step(problems, "list carriers", node=node, item=item):
            proposal = forge.get(pull.number, target=node)
            forge.comment(pull.number, carriers_text(space, proposal), marker=CARRIERS_MARKER, target=node)


def carriers_text(space: Workspace, proposal: Proposal) -> str:
    """The carriers comment: the nodes of the manifest that carry the change (a name from the forge is not shown)."""
    known = {spec.name for spec in space.manifest.nodes}
    shown = [name for name in proposal.carriers if name in known]
    rows = "\n".join(f"- `{name}`" for name in shown)
    gone = len(proposal.carriers) - len(shown)
    if gone:
        rows += f"\n- and {gone} node(s) no longer in the manifest"
    return f"**Carried by {len(proposal.carriers)} node(s):**\n\n{rows}"


def node_of_repository(space: Workspace, full_name: str) -> str | None:
    """The node whose url is the repository ``owner/name`` (on GitLab, ``group/subgroup/name``); None when none is."""
    from forkflow.forge.meta import project_path, repo_of

    for spec in space.manifest.nodes:
        if spec.url is None:
            continue
        names: set[str] = set()
        for read in (lambda url: "/".join(repo_of(url)), project_path):
            with contextlib.suppress(ForkflowError):  # a url of the other forge's shape, or a path
                names.add(read(spec.url).lower())
        if full_name.lower() in names:
            return spec.name
    return None
