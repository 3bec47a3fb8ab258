"""Exit codes, the project's contract (README: "Exit codes"), each checked through the real command line.

0 done; 1 a forkflow error; 2 a usage mistake; 3 an unexpected error (its traceback in a private
log file, tokens scrubbed); 4 a finding; 130 interrupted by SIGINT or SIGTERM.  Most cases run
`python -m forkflow` as a process, as a user or a CI job would.
"""

from __future__ import annotations

import ast
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow import exitcodes
from forkflow.cli import main
from forkflow.cli.errors import crash_report
from tests.gitcli import Git, git_env
from tests.networks import Small, build_small

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "forkflow"
TOKEN = "ghp_exitcodetesttoken0123456789ab"
OTHER_TOKEN = "ghp_givenontheline0123456789abcd"
INTERRUPTED = "interrupted; nothing was left half-written\n"


def env_for(tmp_path: Path, **more: str) -> dict[str, str]:
    """The environment of a forkflow process: no GitHub variables of the machine, a state folder of its own."""
    env = {k: v for k, v in git_env().items() if not k.startswith(("GITHUB_", "FORKFLOW_", "XDG_STATE"))}
    env.update(PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"), SOURCE_DATE_EPOCH="1767225600")
    env.update(more)
    return env


def forkflow(cwd: Path, *args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forkflow", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def small(tmp_path: Path) -> Small:
    return build_small(tmp_path / "small")


def test_the_codes_are_named_once_and_used_by_name() -> None:
    """forkflow/exitcodes.py defines them; no other module defines an EXIT_ constant or exits with a number."""
    assert (exitcodes.EXIT_OK, exitcodes.EXIT_ERROR, exitcodes.EXIT_USAGE) == (0, 1, 2)
    assert (exitcodes.EXIT_UNEXPECTED, exitcodes.EXIT_FINDING, exitcodes.EXIT_INTERRUPTED) == (3, 4, 130)
    assert exitcodes.EXIT_CLOSED_PIPE == 141
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "exitcodes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.startswith("EXIT_") for t in node.targets
            ):
                offences.append(f"{path.name}:{node.lineno}: defines an exit code")
            exits = isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.exit"
            if exits and any(isinstance(arg, ast.Constant) for arg in node.args[:1]):
                offences.append(f"{path.name}:{node.lineno}: exits with a number")
    assert offences == []


def test_no_module_raises_the_base_forkflow_error() -> None:
    """Each error is raised as the subclass of its cause (forkflow/errors.py), never as ForkflowError itself."""
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if ast.unparse(raised).split(".")[-1] == "ForkflowError":
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


def test_0_done_and_1_a_forkflow_error(small: Small, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    done = forkflow(small.git.path, "scan", "--json", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    outside = tmp_path / "not-a-repository"
    outside.mkdir()
    failed = forkflow(outside, "scan", env=env)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr == "error: .: not inside a git repository; run inside a clone or pass --repo PATH\n"
    unknown = forkflow(small.git.path, "proposals", "show", "9", env=env)  # a record that is not there: not usage
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "error: no proposal #9 in network 'small' (proposals: none yet)\n",
    )


USAGE = [
    (["fetch", "--node", "nope"], "Invalid value for '--node': no node named 'nope' in {manifest}"),
    (["fetch", "--shard", "5/4"], "Invalid value for '--shard': '5/4' is not K/N with 1 <= K <= N (e.g. 2/8)"),
    (["scan", "--shard", "two"], "Invalid value for '--shard': 'two' is not K/N with 1 <= K <= N (e.g. 2/8)"),
    (["scan", "--json", "--markdown"], "choose one of --json and --markdown"),
    (["scan", "--collect", "--no-cache"], "--collect reads the store; it cannot go with --no-cache"),
    (["sync", "--subtree", "nope"], "Invalid value for '--subtree': no node is named 'nope' in {manifest}"),
    (["contribute", "main", "--to", "nope"], "--to 'nope': no node has that name"),
    (["provision", "x", "--parent", "nope", "--path", "{tmp}/x.git"], "no active node is named 'nope'; the parent must be in forkflow.toml"),
    (["provision", "eng", "--parent", "agri", "--path", "{tmp}/x.git"], "a node is already named 'eng' (under central)"),
    (["provision", "x", "--parent", "central"], "say where the node's repository goes: --path PATH, or --org ORG with the GitHub forge"),
    (["provision", "bad..name", "--parent", "central", "--path", "{tmp}/x.git"], "'bad..name' cannot name a node: it contains '..'"),
    (["retire", "nope"], "no node is named 'nope'"),
    (["retire", "central"], "'central' is central, the root of the network: it cannot be retired"),
    (["merge", "eng", "eng", "--into", "x", "--path", "{tmp}/x.git"], "merging a node with itself: name two different nodes"),
    (["merge", "eng", "agri", "--into", "x", "--path", "{tmp}/x.git", "--prefer", "vet"], "--prefer 'vet': name one of the two nodes, 'eng' or 'agri'"),
    (["bot", "--command", "retire", "--args", "eng 'unclosed"], "Invalid value for '--args': No closing quotation"),
    (["bot", "--forge", "gitlub"], "Invalid value for '--forge': 'gitlub' is not one of 'local', 'github', 'gitlab'."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "error"), USAGE, ids=[" ".join(args) for args, _ in USAGE])
def test_2_a_usage_mistake(args: list[str], error: str, small: Small, tmp_path: Path) -> None:
    manifest = small.git.path / "forkflow.toml"
    before = manifest.read_bytes()
    words = [arg.format(tmp=tmp_path) for arg in args]
    result = CliRunner().invoke(main, [*words, "--repo", str(small.git.path)])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == "Error: " + error.format(manifest=manifest)
    assert result.output.startswith("Usage: ")
    assert manifest.read_bytes() == before and not (tmp_path / "x.git").exists()


def test_2_outside_a_workspace(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    central = forkflow(tmp_path, "discover", "--central", "no-slash", env=env)
    assert central.returncode == 2 and central.stderr.splitlines()[-1] == "Error: --central takes OWNER/NAME"
    example = forkflow(tmp_path, "demo", "--example", "nowhere", "--into", str(tmp_path / "d"), env=env)
    assert example.returncode == 2
    assert example.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--example': the example 'nowhere' is not installed "
        "(looked in forkflow/_data and examples/)"
    )
    assert not (tmp_path / "d").exists()


def test_3_an_unexpected_error_leaves_a_private_log_without_tokens(small: Small, tmp_path: Path) -> None:
    """A real failure forkflow does not expect: the step summary GitHub names is a folder, not a file."""
    summary = tmp_path / TOKEN / OTHER_TOKEN  # its name will be in the error's text
    summary.mkdir(parents=True)
    env = env_for(tmp_path, GITHUB_TOKEN=TOKEN, GITHUB_EVENT_NAME="schedule", GITHUB_STEP_SUMMARY=str(summary))
    crashed = forkflow(small.git.path, "bot", "--forge", "local", "--dry-run", "--token", OTHER_TOKEN, env=env)
    assert crashed.returncode == 3
    state = tmp_path / "state" / "forkflow"
    (log,) = state.iterdir()
    assert (
        crashed.stderr.splitlines()[-1] == f"forkflow: unexpected error; the traceback is in {log}. Please report it."
    )
    assert "Traceback" not in crashed.stderr + crashed.stdout
    assert stat.S_IMODE(state.stat().st_mode) == 0o700 and stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert text.startswith("forkflow 0.1.0, Python ")
    assert "command: forkflow bot --forge local --dry-run --token ***\n" in text
    assert "Traceback (most recent call last):" in text
    assert text.rstrip().endswith(f"IsADirectoryError: [Errno 21] Is a directory: '{tmp_path}/***/***'")
    assert TOKEN not in text and OTHER_TOKEN not in text


def test_3_the_log_falls_back_to_the_temporary_folder(small: Small, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("the state folder cannot be made under a file\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    summary = tmp_path / "summary"
    summary.mkdir()
    env = env_for(
        tmp_path,
        XDG_STATE_HOME=str(blocked),
        TMPDIR=str(temporary),
        GITHUB_EVENT_NAME="schedule",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    crashed = forkflow(small.git.path, "bot", "--forge", "local", "--dry-run", env=env)
    assert crashed.returncode == 3
    (log,) = temporary.iterdir()
    assert log.name.startswith("forkflow-crash-") and stat.S_IMODE(log.stat().st_mode) == 0o600
    assert (
        crashed.stderr.splitlines()[-1] == f"forkflow: unexpected error; the traceback is in {log}. Please report it."
    )


def test_4_each_kind_of_finding(small: Small, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    violations = forkflow(small.git.path, "policy", "check", env=env)
    assert violations.returncode == 4
    assert violations.stdout.splitlines()[-1] == "4 violation(s) in 3 node(s) (policy: policies/default.toml)"
    refused = forkflow(small.git.path, "sync", "--dry-run", env=env)
    assert refused.returncode == 4
    assert (
        refused.stdout.splitlines()[-1] == "dry run: 0 moved, 2 proposed, 0 already proposed, 1 up to date, 1 refused"
    )
    protected = forkflow(small.git.path, "hooks", "check-paths", ".github/workflows/ci.yml", "app.py", env=env)
    assert protected.returncode == 4 and protected.stderr.startswith(
        "forkflow: only central may change .github/workflows/ci.yml "
    )
    small.git.checkout("-b", "topic")
    bad = small.git.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    push = f"refs/heads/topic {bad} refs/heads/topic {'0' * 40}\n"
    pushed = forkflow(small.git.path, "hooks", "pre-push", "origin", "/srv/x.git", env=env, stdin=push)
    assert pushed.returncode == 4
    assert pushed.stderr.startswith("forkflow: push refused: ")


def test_4_a_contribution_that_conflicts(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "net")
    manifest = '[[node]]\nname = "central"\nref = "refs/heads/main"\n\n'
    manifest += '[[node]]\nname = "lab"\nparent = "central"\ntier = "developer"\nref = "refs/heads/lab"\n'
    git.commit("Initial", {"app.py": "A = 1\n", "forkflow.toml": manifest})
    git.checkout("-b", "lab")
    git.commit("Lab sets A", {"app.py": "A = 2\n"})
    git.checkout("main")
    git.commit("Central sets A", {"app.py": "A = 3\n"})
    env = env_for(tmp_path)
    dry = forkflow(git.path, "contribute", "lab", "--node", "lab", "--dry-run", env=env)
    assert dry.returncode == 4
    assert "it does not apply cleanly on central: conflicts in app.py" in dry.stdout.splitlines()
    opened = forkflow(git.path, "contribute", "lab", "--node", "lab", env=env)
    assert opened.returncode == 4
    assert opened.stdout.splitlines()[-1].startswith("opened #1: ")


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_130_at_a_prompt(sent: signal.Signals, small: Small, tmp_path: Path) -> None:
    manifest = small.git.path / "forkflow.toml"
    before = manifest.read_bytes()
    args = ["provision", "lab", "--parent", "central", "--path", str(tmp_path / "lab.git")]
    process = subprocess.Popen(
        [sys.executable, "-m", "forkflow", *args],
        cwd=small.git.path,
        env=env_for(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    shown = b""
    while not shown.endswith(b"Go ahead? [y/N]: "):  # the command now waits for its answer
        byte = process.stdout.read(1)
        assert byte, shown
        shown += byte
    process.send_signal(sent)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err.decode()) == (130, b"", INTERRUPTED)
    assert manifest.read_bytes() == before and not (tmp_path / "lab.git").exists()


@pytest.fixture
def stalling_remote() -> Iterator[tuple[str, threading.Event]]:
    """An http:// remote that takes the request and answers nothing until the test lets it go."""
    asked, release = threading.Event(), threading.Event()

    class Stall(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.set()
            release.wait(60)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/far.git", asked
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_130_during_a_slow_fetch(
    sent: signal.Signals, stalling_remote: tuple[str, threading.Event], tmp_path: Path
) -> None:
    url, asked = stalling_remote
    git = Git.init(tmp_path / "work")
    git.commit("Initial", {"app.py": "A = 1\n"})
    manifest = '[[node]]\nname = "central"\nref = "refs/heads/main"\n\n[[node]]\nname = "far"\nparent = "central"\n'
    (git.path / "forkflow.toml").write_text(manifest + f'url = "{url}"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "forkflow", "fetch"],
        cwd=git.path,
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert asked.wait(60), "forkflow never asked the remote"
    time.sleep(1)  # forkflow waits for the answer inside libgit2 now, where a signal alone wakes nothing
    process.send_signal(sent)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, "", INTERRUPTED)
    assert git("for-each-ref", "refs/forkflow/") == ""  # no ref was written
    assert not (tmp_path / "state").exists()  # an interruption is no crash: no log


def test_the_readme_table_says_what_the_code_does() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| code")]
    codes = [int(row.split("|")[1]) for row in rows if row.split("|")[1].strip().isdigit()]
    assert codes == [0, 1, 2, 3, 4, 130, 141]
    finding = next(row for row in rows if row.startswith("| 4 "))
    assert all(word in finding for word in ("policy check", "hook", "sync", "contribute", "security"))


def test_a_crash_report_keeps_every_kind_of_secret_out() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeyline1\nsecretkeyline2xyz\n-----END RSA PRIVATE KEY-----\n"
    environ = {"GITHUB_TOKEN": "plain-token-value", "FORKFLOW_APP_PRIVATE_KEY": key, "PGPASSWORD": "pg-secret"}
    trace = (
        "ValueError: plain-token-value in https://x-access-token:ghs_abcdefghijklmnop0123@github.example/o/r.git\n"
        "with postgresql://robot:pg-secret@db.example/forkflow, a key line secretkeyline2xyz, "
        "and a token of GitHub's shape github_pat_11ABCDEFG0123456789_abcdefghij\n"
    )
    text = crash_report(trace, environ)
    for secret in ("plain-token-value", "ghs_abcdefghijklmnop0123", "pg-secret", "secretkeyline2xyz", "github_pat_"):
        assert secret not in text
    assert "ValueError: *** in https://***@github.example/o/r.git\n" in text
    assert "postgresql://***@db.example/forkflow" in text


def test_translated_errors_keep_their_cause(tmp_path: Path) -> None:
    """The crash log of an error met while handling one of these shows what the library said."""
    import tomllib

    import pygit2

    from forkflow.errors import GitError, ManifestError, PolicyError
    from forkflow.gitrepo import GitRepo
    from forkflow.manifest.spec import load_manifest
    from forkflow.policy.rules import load_policy

    (tmp_path / "forkflow.toml").write_text("[[node]\n")
    (tmp_path / "policy.toml").write_text("tiers = 3 = 4\n")
    with pytest.raises(ManifestError) as manifest:
        load_manifest(tmp_path / "forkflow.toml")
    with pytest.raises(PolicyError) as policy:
        load_policy(tmp_path / "policy.toml")
    with pytest.raises(GitError) as git:
        GitRepo(tmp_path / "nowhere")
    assert isinstance(manifest.value.__cause__, tomllib.TOMLDecodeError)
    assert isinstance(policy.value.__cause__, tomllib.TOMLDecodeError)
    assert isinstance(git.value.__cause__, pygit2.GitError)


def test_a_reader_that_goes_away_ends_the_command_quietly_with_141() -> None:
    """`forkflow ... | head`: the pipe closes before the output is written; no crash, no log."""
    done = subprocess.Popen(
        [sys.executable, "-m", "forkflow", "policy", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert done.stdout is not None and done.stderr is not None
    done.stdout.close()  # the reader goes away at once
    stderr = done.stderr.read().decode()
    assert done.wait(timeout=60) == exitcodes.EXIT_CLOSED_PIPE == 141
    assert stderr == ""  # not "unexpected error", no traceback
