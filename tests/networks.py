"""Small networks built with git, whose every number can be checked by hand and by git."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from tests.gitcli import Git

APP = "import os\n\nTIMEOUT = 30\nRETRIES = 3\n\n\ndef serve():\n    return 'ok'\n"

SMALL_MANIFEST = """\
[network]
name = "small"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "eng"
parent = "central"
tier = "decentralized"
ref = "refs/heads/eng"

[[node]]
name = "eng-aero"
parent = "eng"
tier = "developer"
ref = "refs/heads/eng-aero"

[[node]]
name = "agri"
parent = "central"
tier = "decentralized"
ref = "refs/heads/agri"

[[node]]
name = "vet"
parent = "central"
tier = "central"
ref = "refs/heads/vet"
"""


@dataclass
class Small:
    git: Git
    ids: dict[str, str]


def build_small(path: Path) -> Small:
    """central, eng (with eng-aero beneath), agri and vet, with every case the scan knows.

    - eng forks early, fixes a bug (picked by agri too) and raises TIMEOUT; central later
      sets TIMEOUT differently, so eng's update would conflict in app.py;
    - agri's own change is cherry-picked into central, so it is upstreamed for agri;
    - vet is central tier but has a local commit;
    - eng-aero forks from eng and adds its own commit plus an empty one.
    """
    git = Git.init(path)
    ids = {}
    ids["c1"] = git.commit("Initial product", {"app.py": APP, "README.md": "# product\n", "lib/util.py": "X = 1\n"})
    ids["c2"] = git.commit("Add docs", {"docs/guide.md": "guide\n"})
    git.checkout("-b", "eng")
    ids["e1"] = git.commit("Fix util constant", {"lib/util.py": "X = 2\n"})
    ids["e2"] = git.commit("Raise timeout", {"app.py": APP.replace("TIMEOUT = 30", "TIMEOUT = 45")})
    git.checkout("-b", "eng-aero")
    ids["d1"] = git.commit("Aero wind tunnel page", {"aero.md": "wind\n"})
    ids["d2"] = git.commit("Empty marker", allow_empty=True)
    git.checkout("main")
    ids["c3"] = git.commit("Add config", {"config.toml": "debug = false\n"})
    git.checkout("-b", "agri")
    ids["a1"] = git.cherry_pick(ids["e1"])
    ids["a2"] = git.commit("Agri crop calendar", {"crops.md": "corn\n"})
    git.checkout("main")
    ids["c4"] = git.commit("Bump retries", {"app.py": APP.replace("RETRIES = 3", "RETRIES = 5")})
    git.checkout("-b", "vet")
    ids["v1"] = git.commit("Vet hotfix", {"config.toml": "debug = true\n"})
    git.checkout("main")
    ids["c5"] = git.cherry_pick(ids["a2"])
    ids["c6"] = git.commit(
        "Set timeout", {"app.py": APP.replace("RETRIES = 3", "RETRIES = 5").replace("TIMEOUT = 30", "TIMEOUT = 60")}
    )
    (path / "forkflow.toml").write_text(SMALL_MANIFEST)
    git("add", "forkflow.toml")
    git("commit", "-q", "-m", "Describe the network")
    ids["c7"] = git.head()
    return Small(git, ids)


def build_random(path: Path, seed: int, *, nodes: int = 6, steps: int = 60) -> tuple[Git, str]:
    """A random network in one repository: commits, cherry-picks both ways, merges, empties.

    Returns the repository and its manifest text; every node is a branch ``n<k>``.
    """
    rng = random.Random(seed)
    git = Git.init(path)
    files = {f"src/f{i}.txt": "".join(f"line {j}\n" for j in range(12)) for i in range(6)}
    git.commit("base", dict(files))
    branches = ["main"]
    parents = {"main": None}
    made: list[str] = []
    for step in range(steps):
        action = rng.random()
        if len(branches) < nodes and action < 0.15:
            parent = rng.choice(branches)
            name = f"n{len(branches)}"
            git.checkout("-B", name, parent)
            branches.append(name)
            parents[name] = parent
            continue
        branch = rng.choice(branches)
        git.checkout(branch)
        if action < 0.35 and made:
            candidate = rng.choice(made)
            done = git("cherry-pick", "--allow-empty", "--keep-redundant-commits", candidate, check=False)
            if "CONFLICT" in done or git("status", "--porcelain").strip():
                git("cherry-pick", "--abort", check=False)
                git("reset", "-q", "--hard", check=False)
            continue
        if action < 0.42 and parents[branch] is not None:
            done = git("merge", "-q", "--no-edit", parents[branch], check=False)
            if git("status", "--porcelain").strip():
                git("merge", "--abort", check=False)
            continue
        if action < 0.46:
            made.append(git.commit(f"empty {step}", allow_empty=True))
            continue
        name = f"src/f{rng.randrange(8)}.txt"
        current = (path / name).read_text() if (path / name).exists() else ""
        lines = current.splitlines(keepends=True)
        where = rng.randrange(len(lines) + 1)
        lines.insert(where, f"{branch} change {step}\n")
        if rng.random() < 0.3 and lines:
            lines.pop(rng.randrange(len(lines)))
        made.append(git.commit(f"{branch}: edit {name} ({step})", {name: "".join(lines)}, allow_empty=True))
    manifest = ['[network]\nname = "random"\n']
    for branch in branches:
        node = "central" if branch == "main" else branch
        entry = f'\n[[node]]\nname = "{node}"\nref = "refs/heads/{branch}"\n'
        if parents[branch] is not None:
            parent = "central" if parents[branch] == "main" else parents[branch]
            entry += f'parent = "{parent}"\ntier = "decentralized"\n'
        manifest.append(entry)
    return git, "".join(manifest)


def partial_clone(origin: Git, path: Path, *, limit: int = 110) -> tuple[Git, set[str]]:
    """A blobless-style clone of ``origin`` (git's own ``--filter=blob:limit``): every commit and
    tree, but no blob of ``limit`` bytes or more, as a partial clone of a real network lacks its
    large files.  Its refs are origin's branches; returns it and the blobs it lacks."""
    origin("config", "uploadpack.allowFilter", "true")
    Git(path.parent)(
        "clone", "-q", "--bare", "--no-local", f"--filter=blob:limit={limit}", f"file://{origin.path}", str(path)
    )
    clone = Git(path)
    listed = clone("rev-list", "--objects", "--all", "--missing=print")
    missing = {line[1:] for line in listed.split() if line.startswith("?")}
    assert missing, "the clone lacks no blob: choose a smaller limit"
    return clone, missing


VENDORED_MANIFEST = """\
[network]
name = "vendored"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "alpha"
parent = "central"
tier = "decentralized"
ref = "refs/heads/alpha"

[[node]]
name = "beta"
parent = "central"
tier = "decentralized"
ref = "refs/heads/beta"

[[node]]
name = "gamma"
parent = "central"
tier = "decentralized"
ref = "refs/heads/gamma"
"""


def frames(count: int) -> str:
    """A file well over :func:`partial_clone`'s blob limit, so a partial clone lacks it."""
    return "".join(f"poster frame {n:03d}: 00:{n // 60:02d}:{n % 60:02d}\n" for n in range(count))


def build_vendored(path: Path) -> Small:
    """Three colleges that took the same commits from one vendor branch, so that the very same
    commit ids are carried by several nodes, each under central.

    - vendor adds large poster-frame files (v1), grows them in two commits (v2, v2b), and
      credits the photographer in a small file (v3);
    - gamma forked after v1; alpha and beta after v3; each adds a small commit of its own;
    - central moves on with a small commit.
    In a partial clone (:func:`partial_clone`) v1, v2 and v2b cannot be read: their blobs are large.
    """
    git = Git.init(path)
    ids = {"c1": git.commit("Initial product", {"app.py": APP, "README.md": "# product\n"})}
    git.checkout("-b", "vendor")
    ids["v1"] = git.commit("Add the player's poster frames", {"media/frames.txt": frames(40)})
    git.checkout("-b", "gamma")
    ids["g1"] = git.commit("Gamma: shorter timeout", {"app.py": APP.replace("TIMEOUT = 30", "TIMEOUT = 20")})
    git.checkout("vendor")
    ids["v2"] = git.commit("Add poster frames for the second minute", {"media/frames.txt": frames(100)})
    ids["v2b"] = git.commit("Add the posters' index", {"media/index.txt": frames(30)})
    ids["v3"] = git.commit("Credit the photographer", {"media/CREDITS": "Photos: R. Delgado\n"})
    git.checkout("-b", "alpha")
    ids["a1"] = git.commit("Alpha: more retries", {"app.py": APP.replace("RETRIES = 3", "RETRIES = 4")})
    git.checkout("-b", "beta", "vendor")
    ids["b1"] = git.commit("Beta: readme", {"README.md": "# beta's product\n"})
    git.checkout("main")
    ids["c2"] = git.commit("Add docs", {"docs/guide.md": "guide\n"})
    (path / "forkflow.toml").write_text(VENDORED_MANIFEST)
    return Small(git, ids)
