"""The HTML report's table of nodes: sorted and filtered in the page, with no outside script.

Sort by needs attention (the default: nodes with the most reasons first, then in tree order), tier, unmet
needs or name; filter by tier, by needs attention, and by text in the name, parent or reasons.
Without JavaScript the table still reads in the default order with every node shown.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from forkflow.model import NodeReport, ScanReport
from forkflow.types import Tier

SORTS = {"attention": "needs attention first", "tier": "tier", "unmet": "unmet needs", "name": "name"}


def nodes_html(report: ScanReport, flagged: Mapping[str, list[str]]) -> str:
    """The controls, the table (needs attention first) and the script that drives them."""
    order = {node.name: index for index, node in enumerate(report.nodes)}
    rows = sorted(report.nodes, key=lambda node: (-len(flagged.get(node.name, [])), order[node.name]))
    body = "".join(_row(node, order[node.name], flagged.get(node.name, [])) for node in rows)
    sorts = "".join(f'<option value="{key}">{label}</option>' for key, label in SORTS.items())
    tiers = "".join(f'<option value="{tier}">{tier}</option>' for tier in ["root", *(t.value for t in Tier)])
    total = len(report.nodes)
    return (
        f'<h2>The nodes ({total}; {len(flagged)} need attention)</h2>\n<div id="controls">'
        f'<label>Sort <select id="sort">{sorts}</select></label> '
        f'<label>Tier <select id="tier"><option value="">all</option>{tiers}</select></label> '
        '<label><input type="checkbox" id="flagged"> needs attention only</label> '
        '<label>Find <input type="search" id="find" placeholder="name, parent or reason"></label> '
        f'<span id="shown">{total} of {total} nodes shown</span></div>\n'
        '<table id="nodes"><thead><tr><th>node</th><th>parent</th><th>tier</th><th>ahead</th><th>behind</th>'
        f"<th>unmet needs</th><th>needs attention</th></tr></thead><tbody>{body}</tbody></table>\n"
        f"<script>{_SCRIPT}</script>"
    )


def _row(node: NodeReport, order: int, reasons: list[str]) -> str:
    tier = "root" if node.parent is None else node.tier.value
    unmet = node.needs.unmet
    needs = "" if node.parent is None else f"{unmet} of {unmet + node.needs.met}"
    text = html.escape(" ".join([node.name, node.parent or "", *reasons]).lower())
    mark = ' class="flagged"' if reasons else ""
    return (
        f'<tr{mark} data-order="{order}" data-tier="{tier}" data-attention="{len(reasons)}" data-unmet="{unmet}" '
        f'data-name="{html.escape(node.name)}" data-text="{text}"><td>{html.escape(node.name)}</td>'
        f"<td>{html.escape(node.parent or '')}</td><td>{tier}</td><td>{node.ahead}</td><td>{node.behind}</td>"
        f"<td>{needs}</td><td>{html.escape('; '.join(reasons))}</td></tr>"
    )


# Plain ES5, inline: the report opens offline as one file.  Sorting re-appends the rows in one
# fragment, so a thousand nodes take a few milliseconds.
_SCRIPT = """
(function () {
  var body = document.querySelector('#nodes tbody');
  var rows = Array.prototype.slice.call(body.rows);
  var get = function (id) { return document.getElementById(id); };
  var rank = {root: 0, central: 1, decentralized: 2, developer: 3};
  var keys = {
    attention: function (r) { return [-r.dataset.attention, +r.dataset.order]; },
    tier: function (r) { return [rank[r.dataset.tier], +r.dataset.order]; },
    unmet: function (r) { return [-r.dataset.unmet, +r.dataset.order]; },
    name: function (r) { return [r.dataset.name, +r.dataset.order]; }
  };
  function compare(a, b) {
    for (var i = 0; i < a.key.length; i++) {
      if (a.key[i] < b.key[i]) { return -1; }
      if (a.key[i] > b.key[i]) { return 1; }
    }
    return 0;
  }
  function apply() {
    var key = keys[get('sort').value], tier = get('tier').value, only = get('flagged').checked;
    var find = get('find').value.trim().toLowerCase(), shown = 0, fragment = document.createDocumentFragment();
    var sorted = rows.map(function (r) { return {row: r, key: key(r)}; }).sort(compare);
    sorted.forEach(function (item) {
      var r = item.row;
      var visible = (!tier || r.dataset.tier === tier) && (!only || r.dataset.attention !== '0') &&
        (!find || r.dataset.text.indexOf(find) >= 0);
      r.hidden = !visible;
      shown += visible ? 1 : 0;
      fragment.appendChild(r);
    });
    body.appendChild(fragment);
    get('shown').textContent = shown + ' of ' + rows.length + ' nodes shown';
  }
  ['sort', 'tier', 'flagged', 'find'].forEach(function (id) {
    get(id).addEventListener(id === 'find' ? 'input' : 'change', apply);
  });
})();
"""
