"""A repository with one commit of every kind git can make: what every diff reader is checked on."""

from __future__ import annotations

from tests.gitcli import Git

FUNCS = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"


def every_kind(git: Git) -> dict[str, str]:
    """One commit of every kind git can make, by name."""
    made = {}
    made["root"] = git.commit("root", {"a.py": FUNCS, "sp ace.txt": "one\ntwo\n", "é.txt": "x\n"})
    made["indent-heuristic"] = git.commit(
        "slides", {"a.py": FUNCS.replace("def g", "def h():\n    return 3\n\n\ndef g")}
    )
    git("mv", "a.py", "b.py")
    made["rename"] = git.commit("rename")
    git("mv", "b.py", "c.py")
    made["rename-with-edit"] = git.commit("rename and edit", {"c.py": FUNCS + "extra\n"})
    (git.path / "c.py").chmod(0o755)
    made["mode"] = git.commit("mode")
    (git.path / "c.py").chmod(0o644)
    made["mode-and-edit"] = git.commit("mode and edit", {"c.py": FUNCS + "extra\nmore\n"})
    made["delete"] = git.commit("delete", {"sp ace.txt": None})
    made["binary-add"] = git.commit("binary add", {"x.bin": b"\x00\x01bin"})
    made["binary-change"] = git.commit("binary change", {"x.bin": b"\x00\x02bin"})
    made["binary-and-text"] = git.commit("binary and text", {"x.bin": b"\x00\x03", "c.py": FUNCS})
    made["empty-file"] = git.commit("empty file", {"empty.txt": ""})
    made["empty-commit"] = git.commit("nothing", allow_empty=True)
    made["no-newline"] = git.commit("no newline", {"nonl.txt": "no newline"})
    made["no-newline-change"] = git.commit("no newline change", {"nonl.txt": "no newline 2"})
    made["binary-delete"] = git.commit("binary delete", {"x.bin": None, "y.txt": "y\n"})
    (git.path / "link").symlink_to("c.py")
    made["symlink"] = git.commit("symlink")
    made["typechange"] = git.commit("typechange", {"link": "now a file\n"})
    made["quoted-names"] = git.commit("quoting", {"é.txt": "x\nhé\n", 'ta"b\t.txt': "tab\n", "back\\slash": "b\n"})
    made["many-files"] = git.commit("many", {f"d{i}/f.txt": f"{i}\n" for i in range(5)})
    made["crlf"] = git.commit("crlf", {"win.txt": "a\r\nb\r\n"})
    made["whitespace-only"] = git.commit("ws", {"win.txt": "a \r\nb\r\n"})
    # A submodule's commit (a gitlink), straight into the index: "git add -A" would drop it,
    # as there is no checkout of it.
    for kind, update in (
        ("gitlink", ["--add", "--cacheinfo", f"160000,{made['root']},vendor/lib"]),
        ("gitlink-change", ["--cacheinfo", f"160000,{made['mode']},vendor/lib"]),
        ("gitlink-delete", ["--force-remove", "vendor/lib"]),
    ):
        git("update-index", *update)
        git("commit", "-q", "-m", kind)
        made[kind] = git.head()
    git.checkout("-b", "side", made["delete"])
    made["side"] = git.commit("side", {"s.txt": "side\n"})
    git.checkout("main")
    git("merge", "-q", "--no-edit", "side")
    made["merge"] = git.head()
    return made
