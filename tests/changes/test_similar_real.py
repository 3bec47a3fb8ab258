"""Similar changes as real networks make them: on small real repositories built here.

What these check, each on commits git made: a change lies at a place in a file that survives
lines moving around it; a node's commits that touch the same code are one change even when
they are not next to each other; sharing only a place is no evidence; and the threshold is
on the network's own scale, so a pair that stands out in a quiet network does not in a crowd
of changes that all look like it.
"""

from __future__ import annotations

from pathlib import Path

from forkflow.changes.fingerprint import CONTEXT, kind
from forkflow.changes.shared import commit_unit
from forkflow.changes.similar import Unit, Weights, _Scorer, find_similar, noise_level, raw_threshold, similarity
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy, Similarity
from forkflow.scan.pipeline import scan_network
from tests.changes.test_shared import NOW
from tests.gitcli import Git

CONFIG = "".join(f"setting_{n} = {n}\n" for n in range(40))
UPLOAD = """def accept(upload, limits):
    name = upload.filename
    size = upload.content_length
    if size > limits.max_bytes:
        raise TooLarge(name, size)
    store(upload, name)
    return name
"""


def context_tokens(repo: GitRepo, commit: str) -> set[int]:
    return {token for token in repo.patch_facts(commit).fingerprint if kind(token) == CONTEXT}


def inserted(git: Git, base: str, branch: str, after: str, line: str, text: str = CONFIG) -> str:
    """A commit on a new branch from ``base`` adding ``line`` after the line ``after`` of config.py."""
    git.checkout("-b", branch, base)
    return git.commit(f"{branch}: {line}", {"config.py": text.replace(f"{after}\n", f"{after}\n{line}\n")})


def test_a_change_keeps_its_place_when_the_lines_around_it_move(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "repo")
    base = git.commit("Product", {"config.py": CONFIG})
    north = inserted(git, base, "north", "setting_20 = 20", "cap = 1")
    moved = "# header\n" * 7 + CONFIG  # seven lines above: every line number differs
    git.checkout("-b", "header", base)
    headed = git.commit("A header", {"config.py": moved})
    south = inserted(git, headed, "south", "setting_20 = 20", "cap = 2", text=moved)
    west = inserted(git, base, "west", "setting_5 = 5", "cap = 1")
    repo = GitRepo(git.path)
    assert context_tokens(repo, north) and context_tokens(repo, north) == context_tokens(repo, south)
    assert not context_tokens(repo, north) & context_tokens(repo, west)


def test_sharing_only_a_place_is_no_evidence(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "repo")
    base = git.commit("Product", {"config.py": CONFIG})
    north = inserted(git, base, "north", "setting_20 = 20", "upload_cap = 1")
    south = inserted(git, base, "south", "setting_20 = 20", "log_level = 3")
    repo = GitRepo(git.path)
    units = [
        commit_unit(name, 0, cid, repo.patch_facts(cid).fingerprint, "") for name, cid in (("n", north), ("s", south))
    ]
    assert units[0].tokens & units[1].tokens  # the same file, at the same place ...
    assert similarity(units[0].tokens, units[1].tokens, Weights(units)) == 0.0  # ... and nothing else


def test_a_nodes_commits_on_the_same_code_are_one_change(tmp_path: Path) -> None:
    """North fixes the upload check in two commits with an unrelated one between; south in one."""
    git = Git.init(tmp_path / "repo")
    base = git.commit("Product", {"app/upload.py": UPLOAD, "app/player.py": "speeds = [1.0, 1.5]\n"})
    git.checkout("-b", "north", base)
    guarded = UPLOAD.replace("    size = upload.content_length\n", "    size = upload.content_length or 0\n")
    first = git.commit("Treat a missing length as empty", {"app/upload.py": guarded})
    git.commit("Add a slower speed", {"app/player.py": "speeds = [0.5, 1.0, 1.5]\n"})
    named = guarded.replace("    name = upload.filename\n", "    name = secure_filename(upload.filename)\n")
    second = git.commit("Clean the file name", {"app/upload.py": named})
    git.checkout("-b", "south", base)
    fixed = UPLOAD.replace("    name = upload.filename\n", "    name = secure_filename(upload.filename)\n").replace(
        "    size = upload.content_length\n", "    size = upload.content_length or 0\n"
    )
    whole = git.commit("Harden uploads", {"app/upload.py": fixed})
    (git.path / "forkflow.toml").write_text(
        '[network]\nname = "t"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n'
        + "".join(
            f'\n[[node]]\nname = "{n}"\nparent = "central"\ntier = "decentralized"\nref = "refs/heads/{n}"\n'
            for n in ("north", "south")
        )
    )
    policy = Policy(similarity=Similarity(messages=False))
    report = scan_network(Network(load_manifest(git.path / "forkflow.toml")), GitRepo(git.path), policy=policy, now=NOW)
    similar = [change for change in report.shared if change.kind == "similar"]
    assert [[v.commits for v in change.variants] for change in similar] == [[[first, second], [whole]]]
    # The unrelated commit lies between north's two: they are not a run of consecutive commits,
    # so it is the change made of the commits touching app/upload.py that matched south's.
    carried = report.node("north").carried
    assert carried.index(second) - carried.index(first) == 2


def test_the_threshold_is_on_the_networks_own_scale(tmp_path: Path) -> None:
    """Two brandings that share two of their three lines: one change in a quiet network; in a
    crowd of brandings where sharing two lines of three is what random pairs do, noise."""
    git = Git.init(tmp_path / "repo")
    base = git.commit("Product", {"config.py": CONFIG})

    def node(name: str, lines: list[str], at: int = 3) -> tuple[str, str]:
        git.checkout("-q", "-b", name, base)
        anchor = f"setting_{at} = {at}\n"
        return name, git.commit(name, {"config.py": CONFIG.replace(anchor, anchor + "".join(f"{x}\n" for x in lines))})

    pair = [
        node("a", ['title = "Lecture Capture"', 'logo = "crest.svg"', 'colour = "#003366"']),
        node("b", ['title = "Lecture Capture"', 'logo = "crest.svg"', 'colour = "#224488"']),
    ]
    crowd = [
        node(f"c{i}", [f'title = "College {i % 5}"', f'logo = "crest-{i % 4}.svg"', f'colour = "#{i % 3:06x}"'])
        for i in range(60)
    ]
    quiet = [node(f"q{i}", [f"feature_{i} = {i}", f"option_{i}_enabled = True"], at=i % 35 + 5) for i in range(60)]
    repo = GitRepo(git.path)

    def units(named: list[tuple[str, str]]) -> list[Unit]:
        return [commit_unit(name, 0, cid, repo.patch_facts(cid).fingerprint, "") for name, cid in named]

    threshold = Similarity().threshold
    loud, calm = units(pair + crowd), units(pair + quiet)
    loud_noise = noise_level(loud, _Scorer(Weights(loud), messages=False), set())
    calm_noise = noise_level(calm, _Scorer(Weights(calm), messages=False), set())
    assert calm_noise < raw_threshold(threshold, calm_noise) < loud_noise  # the crowd is loud
    assert [sorted(group.nodes) for group in find_similar(calm, threshold, messages=False)] == [["a", "b"]]
    assert not any({"a", "b"} <= group.nodes for group in find_similar(loud, threshold, messages=False))
    few = units(pair)
    assert noise_level(few, _Scorer(Weights(few), messages=False), set()) == 0.0  # too few pairs to tell


def test_the_noise_is_the_top_share_of_random_pairs(tmp_path: Path) -> None:
    """Checked by hand: every pair, sorted, less each unit's two best matches."""
    git = Git.init(tmp_path / "repo")
    base = git.commit("Product", {"config.py": CONFIG})
    commits = []
    for index in range(50):
        git.checkout("-q", "-b", f"n{index}", base)
        line = f"setting_{index % 40} = {index % 40}\n"
        commits.append(git.commit(f"c{index}", {"config.py": CONFIG.replace(line, line + f"extra_{index % 7} = 1\n")}))
    repo = GitRepo(git.path)
    units = [commit_unit(f"n{i}", 0, c, repo.patch_facts(c).fingerprint, "") for i, c in enumerate(commits)]
    scorer = _Scorer(Weights(units), messages=False)
    every = {(i, j): scorer.score(units[i], units[j]) for i in range(50) for j in range(i + 1, 50)}
    closest = set()
    for index in range(50):
        mine = sorted(((s, p) for p, s in every.items() if index in p), reverse=True)[:2]
        closest |= {p for _s, p in mine}
    rest = sorted((s for p, s in every.items() if p not in closest), reverse=True)
    assert noise_level(units, scorer, closest) == rest[int(len(rest) * 0.002)]


def test_units_from_one_node_are_never_compared_for_noise() -> None:
    units = [Unit(f"u{i}", frozenset(["same"]), (f"u{i}",), frozenset([i * 8])) for i in range(60)]
    assert noise_level(units, _Scorer(Weights(units), messages=False), set()) == 0.0
