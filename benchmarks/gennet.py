"""Generate a large fork network in one repository with `git fast-import` (fast, and git's own).

The repository holds central's history (``main``) and one branch per node (``n000``...),
sharing objects as a GitHub fork network does; a manifest names each node by ref.  Nodes
fork from central at different points (so they are behind by different amounts), carry
changes of their own, changes several nodes share (the same patch), and cherry-picks of
central commits (upstreamed).  A fifth of the nodes are departments of another node.
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

START = 1_600_000_000


class Stream:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = START

    def commit(
        self,
        ref: str,
        message: str,
        changes: dict[str, bytes | None],
        parent: int | None,
        author: str = "Dev <dev@example.edu>",
    ) -> int:
        self.mark += 1
        self.clock += 60
        out = [
            b"commit %s\nmark :%d\n" % (ref.encode(), self.mark),
            b"author %s %d +0000\ncommitter %s %d +0000\n" % (author.encode(), self.clock, author.encode(), self.clock),
            b"data %d\n%s\n" % (len(message.encode()), message.encode()),
        ]
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        for path, data in sorted(changes.items()):
            if data is None:
                out.append(b"D %s\n" % path.encode())
            else:
                out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        self.parts.append(b"".join(out))
        return self.mark


def _edit(rng: random.Random, text: bytes, tag: str) -> bytes:
    lines = text.split(b"\n")
    where = rng.randrange(len(lines))
    kind = rng.random()
    if kind < 0.5:
        lines[where] = f"    value_{tag} = compute({rng.randrange(10**6)})".encode()
    elif kind < 0.85:
        lines[where:where] = [f"    # {tag}: step {i}".encode() for i in range(rng.randrange(1, 6))]
    else:
        del lines[where : where + rng.randrange(1, 4)]
    return b"\n".join(lines)


def generate(path: Path, *, nodes: int, carried: int, upstream: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    stream = Stream()
    files = {
        f"src/pkg{d}/mod{f}.py": "".join(f"def f{i}():\n    return {i}\n" for i in range(25)).encode()
        for d in range(20)
        for f in range(15)
    }
    snapshots: dict[int, dict[str, bytes]] = {}
    central_marks: list[int] = []
    added: list[tuple[int, int, str, bytes]] = []  # (index, mark, path, content) of central file adds
    parent = stream.commit("refs/heads/main", "Initial import", dict(files), None)
    central_marks.append(parent)
    for index in range(1, upstream):
        if rng.random() < 0.1:
            note = f"docs/note{index}.md"
            data = f"# Note {index}\n\nText {rng.random()}\n".encode()
            changes: dict[str, bytes | None] = {note: data}
            files[note] = data
            added.append((index, 0, note, data))
        else:
            changes = {}
            for name in rng.sample(sorted(k for k in files if k.startswith("src/")), rng.randrange(1, 4)):
                files[name] = _edit(rng, files[name], f"c{index}")
                changes[name] = files[name]
        parent = stream.commit("refs/heads/main", f"central change {index}", changes, parent)
        central_marks.append(parent)
        if index % 50 == 0:
            snapshots[index] = dict(files)
    shared_pool = [
        (f"shared/feature{k}.py", f"# shared feature {k}\nFLAG_{k} = True\n".encode())
        for k in range(max(4, nodes // 5))
    ]
    names = [f"n{i:03d}" for i in range(nodes)]
    parents = {
        name: ("central" if i < nodes * 4 // 5 or i == 0 else rng.choice(names[: nodes * 4 // 5]))
        for i, name in enumerate(names)
    }
    tips: dict[str, int] = {}
    fork_points: dict[str, int] = {}
    for name in names:
        if parents[name] == "central":
            fork = rng.choice(sorted(snapshots)[len(snapshots) // 2 :])
            base_files, mark = dict(snapshots[fork]), central_marks[fork]
            fork_points[name] = fork
        else:
            fork = fork_points[parents[name]]
            base_files, mark = dict(snapshots[fork]), tips[parents[name]]
            fork_points[name] = fork
        mark = _node_commits(
            stream, rng, name, mark, base_files, carried, shared_pool, [a for a in added if a[0] > fork]
        )
        tips[name] = mark
    stream.parts.append(b"done\n")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=path, input=b"".join(stream.parts), check=True)
    _write_manifest(path, names, parents)


def _node_commits(
    stream: Stream,
    rng: random.Random,
    name: str,
    mark: int,
    files: dict[str, bytes],
    carried: int,
    shared_pool: list[tuple[str, bytes]],
    later_adds: list[tuple[int, int, str, bytes]],
) -> int:
    ref = f"refs/heads/{name}"
    plan = ["own"] * carried
    for slot in rng.sample(range(carried), min(carried, 5)):
        plan[slot] = "shared"
    for slot in rng.sample(range(carried), min(carried, 3)):
        plan[slot] = "pick"
    used: set[str] = set()
    for step, planned in enumerate(plan):
        kind = planned
        if kind == "shared":
            path, data = rng.choice(shared_pool)
            if path in used:
                kind = "own"
            else:
                used.add(path)
                mark = stream.commit(ref, f"Add {path}", {path: data}, mark, "Shared <s@example.edu>")
                continue
        if kind == "pick" and later_adds:
            _, _, path, data = rng.choice(later_adds)
            if path not in used:
                used.add(path)
                mark = stream.commit(ref, f"Pick {path}", {path: data}, mark)
                continue
        target = rng.choice(sorted(k for k in files if k.startswith("src/")))
        files[target] = _edit(rng, files[target], f"{name}-{step}")
        mark = stream.commit(
            ref, f"{name}: local change {step}", {target: files[target]}, mark, f"{name} dev <{name}@example.edu>"
        )
    return mark


def _write_manifest(path: Path, names: list[str], parents: dict[str, str]) -> None:
    out = ['[network]\nname = "bench"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n']
    for name in names:
        out.append(
            f'\n[[node]]\nname = "{name}"\nparent = "{parents[name]}"\ntier = "decentralized"\n'
            f'ref = "refs/heads/{name}"\n'
        )
    (path / "forkflow.toml").write_text("".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--carried", type=int, default=30)
    parser.add_argument("--upstream", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.path, nodes=args.nodes, carried=args.carried, upstream=args.upstream, seed=args.seed)


if __name__ == "__main__":
    main()
