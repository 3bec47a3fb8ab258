"""A network whose shared changes are known by construction, built with git itself.

central
├── alpha            A1 empty-upload guard, A2+A3 chapters (a series), A4+A5 faststart in two commits
│   └── alpha-dept   X1 slower playback speeds
├── beta             picks A1, A2, A3; B4 faststart squashed into one commit (another author)
├── gamma            picks A1; G1 session cookie hardened
│   └── gamma-dept   picks X1 (departments of two colleges carry one change)
├── delta            D1 the cookie hardening typed again (other order, other quotes)
└── epsilon          E1 the cookie expires after an hour: the same lines, a different change
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.gitcli import Git

UPLOAD = '''"""Uploads: receive a recording and store it."""

import os

from app.storage import storage_path

MAX_MB = 500


def save(upload):
    data = upload.read()
    path = storage_path(upload.name)
    with open(path, "wb") as out:
        out.write(data)
    return path


def delete(name):
    os.remove(storage_path(name))
'''

SESSION = '''"""Sessions: the cookie that keeps a viewer signed in."""

COOKIE = "vms_session"


def session_cookie(response, token):
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
    )
    return response


def clear(response):
    response.delete_cookie(COOKIE)
    return response
'''

TRANSCODE = '''"""Transcoding: ffmpeg command lines for each rendition."""


def ffmpeg_command(source, target, height):
    cmd = ["ffmpeg", "-i", source, "-vf", f"scale=-2:{height}"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast"]
    cmd.append(target)
    return cmd
'''

TEST_TRANSCODE = """from app.transcode import ffmpeg_command


def test_scales_to_height():
    assert "scale=-2:720" in ffmpeg_command("in.mov", "out.mp4", 720)
"""

FASTSTART = """    if target.endswith(".mp4"):
        cmd += ["-movflags", "+faststart"]
    cmd.append(target)
"""

FASTSTART_TESTS = """

def test_mp4_gets_faststart():
    cmd = ffmpeg_command("in.mov", "out.mp4", 720)
    assert cmd[cmd.index("-movflags") + 1] == "+faststart"


def test_hls_skips_faststart():
    assert "-movflags" not in ffmpeg_command("in.mov", "out.m3u8", 720)
"""

CHAPTERS = '''"""Chapters: named points in a recording."""

from dataclasses import dataclass


@dataclass
class Chapter:
    title: str
    start_seconds: float


def sorted_chapters(chapters):
    return sorted(chapters, key=lambda chapter: chapter.start_seconds)
'''

CHAPTERS_API = '''"""GET and PUT /api/videos/<id>/chapters."""

from app.chapters import Chapter, sorted_chapters


def get_chapters(video):
    return [{"title": c.title, "start": c.start_seconds} for c in sorted_chapters(video.chapters)]


def put_chapters(video, payload):
    video.chapters = [Chapter(item["title"], float(item["start"])) for item in payload]
    return get_chapters(video)
'''

PLAYER = "SPEEDS = [1.0, 1.25, 1.5, 2.0]\nDEFAULT_SPEED = 1.0\n"

MANIFEST = """\
[network]
name = "shared"

[[node]]
name = "central"
ref = "refs/heads/main"
"""

NODES = [
    ("alpha", "central", "decentralized"),
    ("alpha-dept", "alpha", "developer"),
    ("beta", "central", "decentralized"),
    ("gamma", "central", "decentralized"),
    ("gamma-dept", "gamma", "developer"),
    ("delta", "central", "decentralized"),
    ("epsilon", "central", "developer"),
]

ALICE = "Alice Adams <alice@alpha.example.edu>"
BORIS = "Boris Brandt <boris@beta.example.edu>"
GRETA = "Greta Gray <greta@gamma.example.edu>"
DAVID = "David Diaz <david@delta.example.edu>"
ERIN = "Erin Ek <erin@epsilon.example.edu>"


@dataclass
class SharedNet:
    git: Git
    ids: dict[str, str]


def manifest_text(nodes: list[tuple[str, str, str]] = NODES) -> str:
    text = MANIFEST
    for name, parent, tier in nodes:
        text += f'\n[[node]]\nname = "{name}"\nparent = "{parent}"\ntier = "{tier}"\nref = "refs/heads/{name}"\n'
    return text


def build_shared_network(path: Path) -> SharedNet:
    git = Git.init(path)
    ids: dict[str, str] = {}
    base = {
        "app/upload.py": UPLOAD,
        "app/session.py": SESSION,
        "app/transcode.py": TRANSCODE,
        "app/player.py": PLAYER,
        "tests/test_transcode.py": TEST_TRANSCODE,
    }
    ids["c0"] = git.commit("Initial product", base)
    git.checkout("-b", "alpha")
    guard = UPLOAD.replace(
        "    data = upload.read()\n",
        '    data = upload.read()\n    if not data:\n        raise ValueError("the upload is empty")\n',
    )
    ids["a1"] = git.commit("Reject empty uploads", {"app/upload.py": guard}, author=ALICE)
    ids["a2"] = git.commit("Add chapters to the video model", {"app/chapters.py": CHAPTERS}, author=ALICE)
    ids["a3"] = git.commit("Add the chapters API", {"app/api_chapters.py": CHAPTERS_API}, author=ALICE)
    faststart = TRANSCODE.replace("    cmd.append(target)\n", FASTSTART)
    ids["a4"] = git.commit("Add -movflags +faststart to MP4 renditions", {"app/transcode.py": faststart}, author=ALICE)
    tests = TEST_TRANSCODE + FASTSTART_TESTS
    ids["a5"] = git.commit("Test that MP4 renditions get faststart", {"tests/test_transcode.py": tests}, author=ALICE)
    git.checkout("-b", "alpha-dept")
    slower = PLAYER.replace("[1.0,", "[0.5, 0.75, 1.0,")
    ids["x1"] = git.commit("Add 0.5x and 0.75x playback speeds", {"app/player.py": slower}, author=ALICE)

    git.checkout("-b", "beta", ids["c0"])
    for key in ("a1", "a2", "a3"):
        ids[f"b-{key}"] = git.cherry_pick(ids[key])
    squashed = {"app/transcode.py": faststart, "tests/test_transcode.py": tests}
    ids["b4"] = git.commit("Enable faststart for MP4 renditions", squashed, author=BORIS)

    git.checkout("-b", "gamma", ids["c0"])
    ids["g-a1"] = git.cherry_pick(ids["a1"])
    hardened = SESSION.replace(
        "        httponly=True,\n", '        httponly=True,\n        secure=True,\n        samesite="Lax",\n'
    )
    ids["g1"] = git.commit(
        "Mark the session cookie Secure and SameSite=Lax", {"app/session.py": hardened}, author=GRETA
    )
    git.checkout("-b", "gamma-dept")
    ids["gd-x1"] = git.cherry_pick(ids["x1"])

    git.checkout("-b", "delta", ids["c0"])
    retyped = SESSION.replace(
        "        httponly=True,\n", "        httponly = True,\n        samesite='Lax',\n        secure = True,\n"
    )
    ids["d1"] = git.commit("Harden the session cookie", {"app/session.py": retyped}, author=DAVID)

    git.checkout("-b", "epsilon", ids["c0"])
    expiring = SESSION.replace("        httponly=True,\n", "        httponly=True,\n        max_age=3600,\n")
    ids["e1"] = git.commit("Let the session cookie expire after an hour", {"app/session.py": expiring}, author=ERIN)

    git.checkout("main")
    (path / "forkflow.toml").write_text(manifest_text())
    return SharedNet(git, ids)
