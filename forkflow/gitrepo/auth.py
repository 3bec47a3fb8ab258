"""What forkflow answers when a remote asks for credentials (see :mod:`forkflow.credential`).

- https on one of the forge's hosts: the token;
- https elsewhere (or on the forge's host with no token): what the user's git credential
  helper has for the url, or a :class:`CredentialError` that says what to configure;
- http: nothing, ever (a credential would cross the network in the clear);
- ssh (``ssh://`` or ``user@host:path``): the key named by ``FORKFLOW_SSH_KEY``, else the SSH agent.
"""

from __future__ import annotations

import os

import pygit2
from pygit2.enums import CredentialType

from forkflow.credential import SSH_KEY_VARIABLE, Credential
from forkflow.errors import CredentialError
from forkflow.gitrepo.helper import credential_fill
from forkflow.urls import Transport, authority, transport_of

Answer = pygit2.Username | pygit2.UserPass | pygit2.Keypair
_SSH_HINT = f"forkflow offers the SSH agent's keys, or the key {SSH_KEY_VARIABLE} names"


def answer(url: str, username: str | None, allowed: CredentialType, credential: Credential, cwd: str | None) -> Answer:
    """The credential for ``url``; raises :class:`CredentialError` when forkflow gives none."""
    try:
        transport = transport_of(url)
    except ValueError as err:
        raise CredentialError(f"{url!r} asks for credentials, but forkflow does not take that url: it {err}") from None
    if transport is Transport.SSH:
        return _ssh(url, username, allowed, credential)
    if transport is Transport.LOCAL:
        raise CredentialError(f"{url} asks for credentials, but it is a local path: forkflow gives it none")
    if transport is Transport.HTTP:
        raise CredentialError(
            f"{url} asks for credentials over plain http://, and forkflow never sends a credential unencrypted; "
            "use its https:// url"
        )
    if not allowed & CredentialType.USERPASS_PLAINTEXT:
        raise CredentialError(
            f"{url} asks for a kind of credentials forkflow cannot give (it gives a user and password)"
        )
    token = credential.token_for(url)
    if token is not None:
        return pygit2.UserPass(credential.user, token)
    helped = credential_fill(url, cwd)
    if helped is not None:
        return pygit2.UserPass(*helped)
    raise CredentialError(_needs_credentials(url, credential))


def refused(url: str, given: Answer, credential: Credential) -> str:
    """Why a second question for the same url is answered with an error: what it was given was refused."""
    host = authority(url) or url
    if isinstance(given, pygit2.UserPass) and credential.token_for(url) is not None:
        return f"{host} refused the token for {url}; check that {credential.source} may read and write it"
    if isinstance(given, pygit2.UserPass):
        return f"{host} refused the credentials your git credential helper gave for {url}"
    if isinstance(given, pygit2.Keypair):
        source = credential.ssh_key or "the SSH agent"
        return f"{host} refused the SSH key from {source} for {url}"
    return f"{host} refused the user name {given.credential_tuple[0]!r} for {url}"


def _needs_credentials(url: str, credential: Credential) -> str:
    host = authority(url)
    if host in credential.hosts:
        where = f"give a token ({credential.source.replace(' (or ', ' or ').rstrip(')')}), or"
    else:
        where = f"forkflow gives its token only to {credential.shown_hosts()} (over https); for {host},"
    return (
        f"{url} asks for credentials; {where} configure a git credential helper that has them "
        f"(git config credential.helper), or use its ssh url ({_SSH_HINT})"
    )


def _ssh(url: str, username: str | None, allowed: CredentialType, credential: Credential) -> Answer:
    user = username or "git"
    if allowed & CredentialType.USERNAME:
        return pygit2.Username(user)
    if not allowed & CredentialType.SSH_KEY:
        raise CredentialError(f"{url} asks for a kind of credentials forkflow does not give over ssh; {_SSH_HINT}")
    if credential.ssh_key is None:
        return pygit2.KeypairFromAgent(user)
    private = os.path.expanduser(credential.ssh_key)
    if not os.path.isfile(private):
        raise CredentialError(f"{SSH_KEY_VARIABLE} names {credential.ssh_key}, which is not a file")
    public = f"{private}.pub"
    return pygit2.Keypair(user, public if os.path.isfile(public) else None, private, "")
