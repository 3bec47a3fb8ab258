"""What kind of place a repository's url points at, and which host it names.

forkflow fetches from and pushes to four kinds of place: ``https://``, ``http://``, SSH
(``ssh://`` or git's scp-like ``user@host:path``) and local paths (relative, absolute or
``file://``).  Anything else is refused before git sees it: git's remote helpers
(``<transport>::<address>``, of which ``ext::`` runs a command), option-like values (``-...``,
as in ``--upload-pack=...``), unprintable characters (a newline would end a line of git's
credential protocol), and a password written into the url (the manifest is committed).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Transport(StrEnum):
    HTTPS = "https"
    HTTP = "http"
    SSH = "ssh"
    LOCAL = "local"


_SCHEMES = {
    "https": Transport.HTTPS,
    "http": Transport.HTTP,
    "ssh": Transport.SSH,
    "git+ssh": Transport.SSH,
    "ssh+git": Transport.SSH,
    "file": Transport.LOCAL,
}
_DEFAULT_PORTS = {Transport.HTTPS: 443, Transport.HTTP: 80, Transport.SSH: 22}
# Host names in ASCII (an international one in its xn-- form), user names of RFC 3986's characters:
# nothing that two url parsers could read as different hosts (``https://a\\@b/``).
_HOST = r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
_USER = r"[A-Za-z0-9._~%!$&'()*+,;=-]"
_NETWORK = re.compile(
    rf"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>{_USER}*)@)?{_HOST}"
    r"(?::(?P<port>[0-9]*))?(?P<path>[/?#].*)?",
    re.S,
)
_SCP = re.compile(rf"(?:(?P<user>{_USER}+)@)?{_HOST}:(?P<path>.*)", re.S)
_HELPER = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
SUPPORTED = "an https://, http:// or ssh:// url (or user@host:path), or a local path"


class UrlRefused(ValueError):
    """The url is not one forkflow fetches from or pushes to; the message says why."""


def transport_of(url: str) -> Transport:
    """The kind of place ``url`` points at; raises :class:`UrlRefused` for anything forkflow refuses."""
    _refuse_odd_text(url)
    scheme = _SCHEME.match(url)
    if scheme is not None:
        return _network_transport(url, scheme.group("scheme").lower())
    if _is_scp_like(url):
        userinfo, _, hostpath = url.partition(":")[0].rpartition("@")
        _refuse_option_like(hostpath, userinfo)
        if _SCP.fullmatch(url) is None:
            raise UrlRefused("is neither a url nor a path: user@host:path needs a host name before the ':'")
        return Transport.SSH
    return Transport.LOCAL


def url_problem(url: str) -> str | None:
    """Why forkflow refuses ``url``, or None when it takes it."""
    try:
        transport_of(url)
    except UrlRefused as err:
        return str(err)
    return None


def authority(url: str) -> str | None:
    """The host of a network ``url`` with its port, as ``host[:port]`` in lower case; None for a local path.

    A scheme's default port is left out (``https://github.com:443/x`` is ``github.com``), so the
    same server is always named the same way.  A url forkflow refuses has no authority.
    """
    try:
        transport = transport_of(url)
    except UrlRefused:
        return None
    if transport is Transport.LOCAL:
        return None
    parts = _NETWORK.fullmatch(url) or _SCP.fullmatch(url)
    if parts is None:
        return None
    host = parts.group("host").lower()
    port = parts.groupdict().get("port")
    if port and int(port) != _DEFAULT_PORTS[transport]:
        return f"{host}:{int(port)}"
    return host


def _refuse_odd_text(url: str) -> None:
    if not url:
        raise UrlRefused("is empty")
    odd = sorted({c for c in url if not c.isprintable() and c != " "})
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd)
        raise UrlRefused(
            f"contains characters that cannot be shown ({shown}), such as a newline; write the url on one line"
        )
    if url.startswith("-"):
        raise UrlRefused(
            "starts with '-', which git would read as an option (such as --upload-pack); give a url or a path"
        )
    helper = _HELPER.match(url)
    if helper is not None:
        name = helper.group(0)[:-2]
        what = "runs a command" if name.lower() == "ext" else "hands the url to another program"
        raise UrlRefused(f"uses git's remote helper {name!r} ({name}::...), which {what}; use {SUPPORTED}")


def _network_transport(url: str, scheme: str) -> Transport:
    transport = _SCHEMES.get(scheme)
    if transport is None:
        if scheme == "git":
            raise UrlRefused(
                "uses git://, which is neither encrypted nor authenticated (GitHub no longer serves it); use https://"
            )
        raise UrlRefused(f"uses {scheme}://, which forkflow does not fetch from; use {SUPPORTED}")
    if transport is Transport.LOCAL:
        return transport
    userinfo, at, hostport = url.split("://", 1)[1].split("/", 1)[0].rpartition("@")
    _refuse_option_like(hostport, userinfo)
    if at and ":" in userinfo:
        raise UrlRefused("has a password; the manifest is committed, so give it to git's credential helper instead")
    parts = _NETWORK.fullmatch(url)
    if parts is None:
        raise UrlRefused(f"is not a valid {scheme}:// url: write {scheme}://[user@]host[:port]/path, the host in ASCII")
    port = parts.group("port")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise UrlRefused(f"has the port {port!r}; a port is a number from 1 to 65535")
    return transport


def _refuse_option_like(host: str, user: str | None) -> None:
    # ssh://-oProxyCommand=... (CVE-2017-1000117): a host or a user that looks like an option
    for what, value in (("host", host), ("user", user)):
        if value and value.startswith("-"):
            raise UrlRefused(f"has a {what} that starts with '-', which git or ssh would read as an option")


def _is_scp_like(url: str) -> bool:
    """git's rule: a ':' before any '/' makes ``host:path`` an SSH address (``./a:b`` is a path)."""
    head = url.split("/", 1)[0]
    return ":" in head
