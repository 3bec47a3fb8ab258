"""The token goes to the forge's own host over https, and to nobody else (issue 14, defect 2).

The first tests ask forkflow's credentials callback (the real pygit2 callbacks class, as
libgit2 calls it) what it answers for each kind of url.  The others run `forkflow fetch` and
`forkflow bot` as processes against git servers on loopback under different host names
(``localhost``, 127.0.0.2, 127.0.0.3), over https with a certificate authority made for the
test (trusted through SSL_CERT_FILE) and over plain http.  Each server records every
Authorization header it was sent, so the tests can say who received the token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import CredentialType

from forkflow.credential import Credential
from forkflow.errors import CredentialError
from forkflow.gitrepo.remote import _Callbacks
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.forge.test_github import ORG, host, pulls
from tests.forge.test_github import TOKEN as GITHUB_TOKEN
from tests.gitcli import Git
from tests.httpgit import GitServer, git_server
from tests.tlscert import TLSFiles, make_tls

TOKEN = "ghp_forkflowsecrettoken0123456789abcdef"
FORGE = Credential(token=TOKEN, hosts=frozenset({"github.com"}))
USERPASS = CredentialType.USERPASS_PLAINTEXT
SSH_HINT = "forkflow offers the SSH agent's keys, or the key FORKFLOW_SSH_KEY names"


def ask(
    url: str, credential: Credential = FORGE, allowed: CredentialType = USERPASS, user: str | None = None
) -> object:
    """What forkflow's callbacks answer libgit2 when ``url`` asks for credentials."""
    return _Callbacks(credential=credential).credentials(url, user, allowed)


# -- where the forge is ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "hosts"),
    [
        ({}, {"github.com"}),
        ({"GITHUB_API_URL": "https://api.github.com"}, {"github.com"}),
        ({"GITHUB_API_URL": "https://ghe.example/api/v3"}, {"ghe.example"}),
        ({"GITHUB_SERVER_URL": "https://GHE.example:8443/"}, {"ghe.example:8443"}),
        ({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com"}, {"github.com"}),
        (
            {"GITHUB_SERVER_URL": "https://ghe.example", "GITHUB_API_URL": "https://other.example/api/v3"},
            {"ghe.example"},
        ),
    ],
)
def test_the_forge_host_comes_from_the_environment(environ: dict[str, str], hosts: set[str]) -> None:
    credential = Credential.from_env({**environ, "GITHUB_TOKEN": TOKEN})
    assert credential.hosts == frozenset(hosts)
    assert credential.token == TOKEN
    assert TOKEN not in repr(credential)


def test_the_token_option_wins_and_a_server_url_that_is_no_url_is_refused() -> None:
    assert Credential.from_env({"GITHUB_TOKEN": "env"}, "option").token == "option"
    assert Credential.from_env({}).token is None
    with pytest.raises(CredentialError, match="GITHUB_SERVER_URL 'ext::sh' is not an https:// url"):
        Credential.from_env({"GITHUB_SERVER_URL": "ext::sh"})


@pytest.mark.parametrize(
    ("url", "given"),
    [
        ("https://github.com/acme/video.git", True),
        ("HTTPS://GitHub.COM:443/acme/video", True),
        ("https://bot@github.com/acme/video", True),
        ("http://github.com/acme/video", False),  # never in the clear, even to the forge
        ("https://github.com:8443/acme/video", False),  # another port is another server
        ("https://github.com.evil.example/acme/video", False),
        ("https://github.com@evil.example/acme/video", False),  # the host is evil.example
        ("https://evil.example\\@github.com/acme/video", False),  # read differently by different parsers
        ("https://evil.example/github.com/acme/video", False),
        ("ssh://git@github.com/acme/video", False),
        ("git@github.com:acme/video.git", False),
        ("/srv/git/github.com/acme/video", False),
    ],
)
def test_the_token_goes_only_to_the_forge_host_over_https(url: str, given: bool) -> None:
    assert (FORGE.token_for(url) == TOKEN) is given


# -- what the callbacks answer -----------------------------------------------------------


def test_the_forge_host_over_https_gets_the_token_once() -> None:
    callbacks = _Callbacks(credential=FORGE)
    url = "https://github.com/acme/video.git"
    answer = callbacks.credentials(url, None, USERPASS)
    assert isinstance(answer, pygit2.UserPass)
    assert answer.credential_tuple == ("x-access-token", TOKEN)
    with pytest.raises(CredentialError) as refused:  # asked again: the server refused it
        callbacks.credentials(url, None, USERPASS)
    assert str(refused.value) == (
        f"github.com refused the token for {url}; check that GITHUB_TOKEN (or --token) may read and write it"
    )


def test_another_https_host_gets_no_token_but_a_clear_reason() -> None:
    with pytest.raises(CredentialError) as err:
        ask("https://git.other.example/dept/video.git")
    assert str(err.value) == (
        "https://git.other.example/dept/video.git asks for credentials; forkflow gives its token only to "
        "github.com (over https); for git.other.example, configure a git credential helper that has them "
        f"(git config credential.helper), or use its ssh url ({SSH_HINT})"
    )


def test_the_forge_host_with_no_token_says_how_to_give_one() -> None:
    with pytest.raises(CredentialError) as err:
        ask("https://github.com/acme/private.git", Credential(hosts=frozenset({"github.com"})))
    assert str(err.value).startswith(
        "https://github.com/acme/private.git asks for credentials; give a token (GITHUB_TOKEN or --token), or "
        "configure a git credential helper"
    )


def test_plain_http_gets_nothing_even_on_the_forge_host() -> None:
    with pytest.raises(CredentialError) as err:
        ask("http://github.com/acme/video.git")
    assert str(err.value) == (
        "http://github.com/acme/video.git asks for credentials over plain http://, and forkflow never sends a "
        "credential unencrypted; use its https:// url"
    )


def test_a_url_forkflow_refuses_gets_nothing() -> None:
    with pytest.raises(CredentialError, match="does not take that url: it uses git's remote helper 'ext'"):
        ask("ext::sh -c touch% /tmp/pwned")


def test_ssh_asks_for_a_user_then_gets_the_agent() -> None:
    callbacks = _Callbacks(credential=FORGE)
    url = "ssh://github.com/acme/video.git"
    user = callbacks.credentials(url, None, CredentialType.USERNAME)
    assert isinstance(user, pygit2.Username) and user.credential_tuple == ("git",)
    key = callbacks.credentials(url, None, CredentialType.SSH_KEY | CredentialType.SSH_MEMORY)
    assert type(key) is pygit2.KeypairFromAgent
    assert key.credential_tuple == ("git", None, None, None)
    with pytest.raises(CredentialError, match="refused the SSH key from the SSH agent"):
        callbacks.credentials(url, None, CredentialType.SSH_KEY | CredentialType.SSH_MEMORY)


def test_ssh_offers_the_key_the_environment_names(tmp_path: Path) -> None:
    private = tmp_path / "deploy_key"
    private.write_text("not read until libssh2 signs with it\n")
    credential = Credential.from_env({"FORKFLOW_SSH_KEY": str(private), "GITHUB_TOKEN": TOKEN})
    key = ask("deploy@git.other.example:dept/video.git", credential, CredentialType.SSH_KEY, user="deploy")
    assert type(key) is pygit2.Keypair
    assert key.credential_tuple == ("deploy", None, str(private), "")  # libssh2 derives the public key
    (tmp_path / "deploy_key.pub").write_text("ssh-ed25519 AAAA deploy\n")
    key = ask("ssh://git@git.other.example:2222/video", credential, CredentialType.SSH_KEY, user="git")
    assert key.credential_tuple == ("git", f"{private}.pub", str(private), "")  # type: ignore[attr-defined]
    missing = Credential(ssh_key=str(tmp_path / "gone"))
    with pytest.raises(CredentialError, match=r"FORKFLOW_SSH_KEY names .*gone, which is not a file"):
        ask("git@github.com:acme/video.git", missing, CredentialType.SSH_KEY)


def test_ssh_never_gets_the_token_as_a_password() -> None:
    with pytest.raises(CredentialError, match="asks for a kind of credentials forkflow does not give over ssh"):
        ask("ssh://git@github.com/acme/video.git", allowed=USERPASS | CredentialType.SSH_INTERACTIVE)


# -- real servers, real processes ------------------------------------------------------


@pytest.fixture(name="tls")
def tls_fixture(tmp_path: Path) -> TLSFiles:
    return make_tls(tmp_path / "tls", ("localhost",), ("127.0.0.1", "127.0.0.2", "127.0.0.3"))


@pytest.fixture(name="forge")
def forge_fixture(tmp_path: Path) -> dict[str, str]:
    """Three bare repositories, one per node, each with its own commit on main."""
    build = Git.init(tmp_path / "build")
    heads = {"central": build.commit("product", {"app.py": "print('hi')\n"})}
    for name in ("dept", "lab"):
        build.checkout("-q", "-b", name, "main")
        heads[name] = build.commit(f"{name} change", {f"{name}.txt": f"{name}\n"})
    for name in heads:
        bare = Git.init(tmp_path / "repos" / f"{name}.git", bare=True)
        build("push", "-q", str(bare.path), f"{'main' if name == 'central' else name}:refs/heads/main")
    return heads


def environment(tmp_path: Path, tls: TLSFiles, **extra: str) -> dict[str, str]:
    """A process's environment: its own HOME and git configuration, the test authority trusted."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "FORKFLOW_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        SSL_CERT_FILE=str(tls.authority),
        COLUMNS="1000",
        GITHUB_TOKEN=TOKEN,
    )
    env.update(extra)
    return env


def forkflow(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forkflow", *args],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )


def workspace(tmp_path: Path, urls: dict[str, str]) -> Path:
    work = Git.init(tmp_path / "work")
    tables = ['[network]\nname = "hosts"\n']
    for name, url in urls.items():
        parent = "" if name == "central" else 'parent = "central"\ntier = "developer"\n'
        tables.append(f'[[node]]\nname = "{name}"\n{parent}url = "{url}"\nbranch = "main"\n')
    work.commit("manifest", {"forkflow.toml": "\n".join(tables)})
    return work.path


def never_given_the_token(*servers: GitServer, token: str = TOKEN) -> None:
    for server in servers:
        assert token not in server.passwords(), f"{server.url} received the token"


@pytest.fixture(name="servers")
def servers_fixture(tmp_path: Path, tls: TLSFiles, forge: dict[str, str]) -> Iterator[dict[str, GitServer]]:
    root = tmp_path / "repos"
    with (
        git_server(root, name="localhost", user=("x-access-token", TOKEN), tls=tls.pair) as home,
        git_server(root, address="127.0.0.2", user=("alice", "wonderland"), tls=tls.pair) as stranger,
        git_server(root, address="127.0.0.3", user=("bob", "builder"), tls=tls.pair) as helped,
    ):
        yield {"forge": home, "stranger": stranger, "helped": helped}


def test_the_token_reaches_the_forge_and_no_other_host(
    tmp_path: Path, tls: TLSFiles, forge: dict[str, str], servers: dict[str, GitServer]
) -> None:
    """The forge gets the token; a stranger that asks gets nothing and its node fails alone; a host the
    user's credential helper knows gets the helper's credentials."""
    home, stranger, helped = servers["forge"], servers["stranger"], servers["helped"]
    store = tmp_path / "git-credentials"
    store.write_text(f"https://bob:builder@{helped.url.removeprefix('https://')}\n")
    env = environment(tmp_path, tls, GITHUB_SERVER_URL=home.url)
    (tmp_path / "home" / ".gitconfig").write_text(f"[credential]\n\thelper = store --file={store}\n")
    work = workspace(
        tmp_path,
        {"central": f"{home.url}/central.git", "dept": f"{stranger.url}/dept.git", "lab": f"{helped.url}/lab.git"},
    )
    done = forkflow(["fetch"], env, work)
    never_given_the_token(stranger, helped)
    assert stranger.authorizations == []  # it asked, and was given nothing at all
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"central: updated at {forge['central'][:12]}",
        f"error: {work / 'forkflow.toml'}: node 'dept': field 'url': {stranger.url}/dept.git asks for credentials; "
        f"forkflow gives its token only to {home.url.removeprefix('https://')} (over https); for "
        f"{stranger.url.removeprefix('https://')}, configure a git credential helper that has them "
        f"(git config credential.helper), or use its ssh url ({SSH_HINT})",
        f"lab: updated at {forge['lab'][:12]}",
        "fetched 2 of 3 node(s); 1 failed",
    ]
    assert home.passwords() and set(home.passwords()) == {TOKEN}
    assert helped.passwords() and set(helped.passwords()) == {"builder"}
    assert Git(work).head("refs/forkflow/nodes/lab") == forge["lab"]
    assert TOKEN not in done.stdout + done.stderr


def test_a_token_the_forge_refuses_is_sent_once_and_reported(
    tmp_path: Path, tls: TLSFiles, forge: dict[str, str]
) -> None:
    with git_server(tmp_path / "repos", name="localhost", user=("x-access-token", "another"), tls=tls.pair) as home:
        work = workspace(tmp_path, {"central": f"{home.url}/central.git"})
        done = forkflow(["fetch"], environment(tmp_path, tls, GITHUB_SERVER_URL=home.url), work)
    assert home.passwords() == [TOKEN]  # not once for each of libgit2's fifteen tries
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {work / 'forkflow.toml'}: node 'central': field 'url': {home.url.removeprefix('https://')} refused "
        f"the token for {home.url}/central.git; check that GITHUB_TOKEN (or --token) may read and write it",
        "fetched 0 of 1 node(s); 1 failed",
    ]


def test_no_credential_goes_over_plain_http_even_to_the_forge(
    tmp_path: Path, tls: TLSFiles, forge: dict[str, str]
) -> None:
    with git_server(tmp_path / "repos", name="localhost", user=("x-access-token", TOKEN)) as plain:
        work = workspace(tmp_path, {"central": f"{plain.url}/central.git"})
        done = forkflow(["fetch"], environment(tmp_path, tls, GITHUB_SERVER_URL=plain.url), work)
    assert plain.authorizations == []
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {work / 'forkflow.toml'}: node 'central': field 'url': {plain.url}/central.git asks for "
        "credentials over plain http://, and forkflow never sends a credential unencrypted; use its https:// url",
        "fetched 0 of 1 node(s); 1 failed",
    ]
    assert plain.paths  # it was asked, and answered 401


def test_a_redirect_from_the_forge_to_another_host_does_not_carry_the_token(
    tmp_path: Path, tls: TLSFiles, forge: dict[str, str], servers: dict[str, GitServer]
) -> None:
    stranger = servers["stranger"]
    with git_server(tmp_path / "repos", name="localhost", tls=tls.pair, redirect=stranger.url) as moved:
        work = workspace(tmp_path, {"central": f"{moved.url}/central.git"})
        done = forkflow(["fetch"], environment(tmp_path, tls, GITHUB_SERVER_URL=moved.url), work)
    assert stranger.paths  # libgit2 followed the redirect, and the stranger asked
    assert stranger.authorizations == []
    assert done.returncode == 1
    assert f"{stranger.url}/central.git asks for credentials; forkflow gives its token only to" in done.stderr


def test_the_bot_pushes_the_token_only_to_a_clone_url_on_the_forge_host(
    fake_github: FakeGitHub, tmp_path: Path, tls: TLSFiles
) -> None:
    """GitHub's answer names where a proposal's branch is pushed (clone_url): it is not trusted."""
    space = host(fake_github, tmp_path)
    work = space.repo.workdir
    assert work is not None
    root = fake_github.root / "repos"
    with (
        git_server(root, name="localhost", user=("x-access-token", GITHUB_TOKEN), tls=tls.pair) as home,
        git_server(root, address="127.0.0.2", user=("alice", "wonderland"), tls=tls.pair) as stranger,
    ):
        env = environment(
            tmp_path,
            tls,
            GITHUB_TOKEN=GITHUB_TOKEN,
            GITHUB_API_URL=fake_github.url,
            GITHUB_SERVER_URL=home.url,
            GITHUB_EVENT_NAME="schedule",
        )
        fake_github.options.git_root = stranger.url
        refused = forkflow(["bot", "--forge", "github"], env, work)
        assert stranger.paths  # the push went there, and it asked
        never_given_the_token(stranger, token=GITHUB_TOKEN)
        assert stranger.authorizations == []
        assert refused.returncode == 1, refused.stderr
        assert f"{stranger.url}/" in refused.stderr
        assert f"asks for credentials; forkflow gives its token only to {home.url.removeprefix('https://')}" in (
            refused.stderr
        )
        fake_github.options.git_root = home.url
        pushed = forkflow(["bot", "--forge", "github"], env, work)
    assert pushed.returncode == 0, pushed.stderr
    assert home.passwords() and set(home.passwords()) == {GITHUB_TOKEN}
    assert len(pulls(fake_github, f"{ORG}/video")) == 5  # the five shared changes, proposed to central
    assert GITHUB_TOKEN not in refused.stdout + refused.stderr + pushed.stdout + pushed.stderr


def test_sync_pushes_with_the_token_to_the_forge_host_only(
    tmp_path: Path, tls: TLSFiles, forge: dict[str, str], servers: dict[str, GitServer]
) -> None:
    """A central-tier node on the forge's host is fast-forwarded with the token; one on another
    host, which could not be fetched without credentials, is refused and never gets it."""
    home, stranger = servers["forge"], servers["stranger"]
    for name in ("dept", "lab"):  # both start at central's product, then central moves on
        Git(tmp_path / "repos" / f"{name}.git")("update-ref", "refs/heads/main", forge["central"])
    build = Git(tmp_path / "build")
    build.checkout("-q", "main")
    moved = build.commit("central moves on", {"app.py": "print('hello')\n"})
    build("push", "-q", str(tmp_path / "repos" / "central.git"), "main:refs/heads/main")
    env = environment(tmp_path, tls, GITHUB_SERVER_URL=home.url)
    work = workspace(
        tmp_path,
        {"central": f"{home.url}/central.git", "dept": f"{home.url}/dept.git", "lab": f"{stranger.url}/lab.git"},
    )
    text = (work / "forkflow.toml").read_text().replace('tier = "developer"', 'tier = "central"')
    (work / "forkflow.toml").write_text(text)
    assert forkflow(["fetch"], env, work).returncode == 1  # lab's host asks, and gets nothing
    done = forkflow(["sync"], env, work)
    never_given_the_token(stranger)
    assert done.returncode == 4, done.stderr  # lab refused: not fetched
    assert done.stdout.splitlines()[-1] == "1 moved, 0 proposed, 0 already proposed, 0 up to date, 1 refused"
    assert Git(tmp_path / "repos" / "dept.git").head("main") == moved  # pushed, with the token
    assert TOKEN in home.passwords()
    assert Git(tmp_path / "repos" / "lab.git").head("main") == forge["central"]
    assert TOKEN not in done.stdout + done.stderr
