"""The unmet-needs figure, pinned on a network whose every number can be worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.needs.figure import Weight, measure, parse_trailers
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.pipeline import scan_network
from tests.gitcli import Git

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(local_paths=("config/branding.json",))

APP = "".join(f"def handler_{n}(request):\n    return render(request, 'page_{n}.html')\n\n\n" for n in range(12))
LIB = "".join(f"CONSTANT_{n} = {n}\n" for n in range(30))


def manifest(*nodes: str) -> str:
    text = '[network]\nname = "needs"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n'
    for name in nodes:
        text += f'\n[[node]]\nname = "{name}"\nparent = "central"\ntier = "decentralized"\nref = "refs/heads/{name}"\n'
    return text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Git, dict[str, str], ScanReport]:
    """
    a: c1 (a need), c2 (branding: local), c3 (Forkflow-Local: yes), c4 (shared with b)   -> 2 unmet, 2 local
    b: c4 picked from a (the shared change counts once here too), c5 central cherry-picks -> 1 unmet, 1 met
    c: m1 that central merges, then m2                                                    -> 1 unmet, 1 met
    d: s1, which central types again (a similar change)                                   -> 0 unmet, 1 met
    central's needs.toml declares n1 (shipped: a commit with Need: n1) and n2 (not yet)   -> declared 50%
    """
    git = Git.init(tmp_path_factory.mktemp("needs"))
    ids = {"base": git.commit("Initial", {"app.py": APP, "lib.py": LIB, "config/branding.json": "{}\n"})}
    git.checkout("-b", "a")
    ids["c1"] = git.commit("A's own feature", {"feature_a.py": "def a_feature():\n    return 'a'\n"})
    ids["c2"] = git.commit("Brand for A", {"config/branding.json": '{"name": "A"}\n'})
    ids["c3"] = git.commit("A's lab settings\n\nForkflow-Local: yes", {"lab.py": "LAB = 'a'\n"})
    ids["c4"] = git.commit("Shared fix", {"lib.py": LIB.replace("CONSTANT_3 = 3", "CONSTANT_3 = 33")})
    git.checkout("-b", "b", ids["base"])
    ids["b-c4"] = git.cherry_pick(ids["c4"])
    ids["c5"] = git.commit(
        "B's fix",
        {"lib.py": LIB.replace("CONSTANT_3 = 3", "CONSTANT_3 = 33").replace("CONSTANT_9 = 9", "CONSTANT_9 = 99")},
    )
    git.checkout("-b", "c", ids["base"])
    ids["m1"] = git.commit("C's helper", {"helper_c.py": "def helper():\n    return 'c'\n"})
    git.checkout("-b", "d", ids["base"])
    ids["s1"] = git.commit(
        "Guard handler 5",
        {
            "app.py": APP.replace(
                "def handler_5(request):\n",
                "def handler_5(request):\n    if request.user is None:\n        raise PermissionError('login required')\n",
            )
        },
    )
    git.checkout("main")
    git.cherry_pick(ids["c5"])
    git("merge", "-q", "--no-ff", "-m", "Merge C's helper", "c")
    git.commit(
        "Require a login for handler 5",
        {
            "app.py": APP.replace(
                "def handler_5(request):\n",
                'def handler_5(request):\n    if request.user is None:\n        raise PermissionError("login required")  # for all\n',
            )
        },
    )
    git.commit("Ship n1\n\nNeed: n1", {"n1.py": "N1 = True\n"})
    git.commit(
        "Needs register",
        {
            "needs.toml": '[[need]]\nid = "n1"\ntitle = "One"\nnodes = ["a", "b"]\n\n[[need]]\nid = "n2"\ntitle = "Two"\nnodes = ["c"]\n'
        },
    )
    git.checkout("c")
    ids["m2"] = git.commit("C's second helper", {"helper_c2.py": "def helper2():\n    return 'c2'\n"})
    git.checkout("main")
    (git.path / "forkflow.toml").write_text(manifest("a", "b", "c", "d"))
    network = Network(load_manifest(git.path / "forkflow.toml"))
    report = scan_network(network, GitRepo(git.path), None, policy=POLICY, now=NOW)
    return git, ids, report


def test_each_node_by_hand(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    _, ids, report = built
    needs = {node.name: (node.needs.unmet, node.needs.met, node.needs.local) for node in report.nodes if node.parent}
    assert needs == {"a": (2, 0, 2), "b": (1, 1, 0), "c": (1, 1, 0), "d": (0, 1, 0)}
    assert report.node("a").local == [ids["c2"], ids["c3"]]
    assert report.node("c").merged == [ids["m1"]]
    assert report.node("d").similar_met == [ids["s1"]]


def test_met_needs_agree_with_git(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    git, ids, report = built
    git("merge-base", "--is-ancestor", ids["m1"], "main")  # merged: central reaches it
    assert git.cherry("main", "c") == ([ids["m2"]], [])  # and git cherry no longer lists it at all
    _, upstreamed = git.cherry("main", "b")
    assert report.node("b").upstreamed == upstreamed == [ids["c5"]]
    carried, _ = git.cherry("main", "d")
    assert carried == [ids["s1"]]  # git cherry says carried: only the similar-change detection sees it met
    assert report.node("d").met_by[ids["s1"]] == git.head("main~2")


def test_the_network_and_tiers(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    figure = built[2].unmet_needs
    assert (figure.unmet, figure.met, figure.local, figure.percent) == (4, 3, 2, 57.1)
    assert figure.by_tier["decentralized"].model_dump() == {"percent": 57.1, "unmet": 4, "met": 3}


def test_weight_by_changed_lines(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    report = built[2]
    nodes, figure = measure(report.nodes, report.commits, report.shared, Weight.LINES)
    by_node = {node.name: (node.needs.unmet, node.needs.met) for node in nodes if node.parent}
    # a: c1 adds 2 lines, c4 changes 1 (+1 -1); b: c4 (2) unmet, c5 (+1 -1 on top of c4) met;
    # c: m2 +2 unmet, m1 +2 met; d: s1 +2 met
    assert by_node == {"a": (4, 0), "b": (2, 2), "c": (2, 2), "d": (0, 2)}
    assert (figure.unmet, figure.met, figure.weight) == (8, 6, "lines")


def test_declared_needs(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    declared = built[2].unmet_needs.declared
    assert declared is not None
    assert [(need.id, need.met, need.nodes) for need in declared.needs] == [
        ("n1", True, ["a", "b"]),
        ("n2", False, ["c"]),
    ]
    assert (declared.unmet, declared.met, declared.percent) == (1, 1, 50.0)


def test_trailers() -> None:
    assert parse_trailers("Subject\n\nBody text.\n\nNeed: n1\nForkflow-Local: yes\n") == {
        "Need": ["n1"],
        "Forkflow-Local": ["yes"],
    }
    assert parse_trailers("Subject\n\nNot: a trailer block\nbecause this line is prose\n") == {}
    assert parse_trailers("Need: only a subject") == {}


def test_an_empty_network_has_no_needs(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "empty")
    git.commit("Initial", {"a.py": "A = 1\n"})
    git("branch", "x")
    (git.path / "forkflow.toml").write_text(manifest("x"))
    report = scan_network(Network(load_manifest(git.path / "forkflow.toml")), GitRepo(git.path), None, now=NOW)
    assert (report.unmet_needs.percent, report.unmet_needs.unmet, report.unmet_needs.met) == (0.0, 0, 0)


def test_scan_weight_lines_on_the_command_line(built: tuple[Git, dict[str, str], ScanReport]) -> None:
    import json

    from click.testing import CliRunner

    from forkflow.cli import main

    git, _, _ = built
    policy = git.path / "policy.toml"
    policy.write_text('local_paths = ["config/branding.json"]\n')
    text = (git.path / "forkflow.toml").read_text()
    (git.path / "forkflow.toml").write_text(text.replace('name = "needs"', 'name = "needs"\npolicy = "policy.toml"'))
    try:
        result = CliRunner().invoke(main, ["scan", "--repo", str(git.path), "--json", "--weight", "lines"])
        figure = json.loads(result.stdout)["unmet_needs"]
        assert (figure["unmet"], figure["met"], figure["weight"]) == (8, 6, "lines")
    finally:
        (git.path / "forkflow.toml").write_text(text)
