"""``forkflow report --json``: everything the Markdown report shows or summarises, for scripts.

Every node (with what it needs and why it needs attention), every shared change waiting for a
proposal, every policy problem, and what the Markdown graph drew and folded.  Format (version 1)::

    {"version": 1, "network": "...", "scanned_at": "...",
     "unmet_needs": {"percent": 37.5, "unmet": 3, "met": 5, "previous": 40.0},
     "nodes": [{"name": "...", "parent": "...", "tier": "...", "ahead": 1, "behind": 2,
                "unmet": 1, "met": 0, "attention": ["update would conflict in 1 file(s)"]}],
     "waiting": [{"id": "...", "kind": "exact", "nodes": ["a", "b"], "target": "central", "summary": "..."}],
     "policy_problems": ["..."],
     "security": null or {"percent": 99.5, "covered": 199, "total": 200,
                  "lacking": [{"fix": "CVE-...", "node": "...", "tier": "...", "days": 3, "overdue": false}]},
     "graph": {"drawn": 18, "total": 1001, "depth": null, "left_out": 0,
               "folds": [{"parent": "central", "count": 977, "attention": 0}]}}
"""

from __future__ import annotations

import json

from forkflow.report.attention import attention
from forkflow.report.document import ReportInput, lacking, policy_problems, waiting
from forkflow.report.mermaid import mermaid_graph
from forkflow.security.coverage import SecurityReport

REPORT_JSON_VERSION = 1


def report_json(data: ReportInput) -> str:
    """The report as JSON (see the module's doc), nothing left out."""
    report = data.report
    flagged = attention(report, data.policy, data.security, data.network)
    graph = mermaid_graph(report, flagged)
    figure = report.unmet_needs
    document = {
        "version": REPORT_JSON_VERSION,
        "network": report.network,
        "scanned_at": report.scanned_at,
        "unmet_needs": {"percent": figure.percent, "unmet": figure.unmet, "met": figure.met, "previous": data.previous},
        "nodes": [
            {
                "name": node.name,
                "parent": node.parent,
                "tier": "root" if node.parent is None else node.tier.value,
                "ahead": node.ahead,
                "behind": node.behind,
                "unmet": node.needs.unmet,
                "met": node.needs.met,
                "attention": flagged.get(node.name, []),
            }
            for node in report.nodes
        ],
        "waiting": [
            {"id": c.id, "kind": c.kind, "nodes": c.nodes, "target": c.target, "summary": c.summary}
            for c in waiting(data)
        ],
        "policy_problems": policy_problems(data),
        "security": _security(data.security),
        "graph": {
            "drawn": graph.drawn,
            "total": graph.total,
            "depth": graph.depth,
            "left_out": graph.left_out,
            "folds": [{"parent": f.parent, "count": f.count, "attention": f.attention} for f in graph.folds],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _security(security: SecurityReport | None) -> dict[str, object] | None:
    if security is None or not security.fixes:
        return None
    return {
        "percent": security.percent,
        "covered": security.covered,
        "total": security.total,
        "lacking": [
            {"fix": c.fix, "node": c.node, "tier": c.tier, "days": c.days, "overdue": c.overdue}
            for c in lacking(security)
        ],
    }
