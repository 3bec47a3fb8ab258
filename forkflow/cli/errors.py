"""How a command ends when something goes wrong: one line and an exit code, never a traceback on the terminal.

A forkflow error is its message (exit code 1); a usage mistake is click's (2), and the parse
errors of options and names the manifest lacks are made usage mistakes here; an unexpected
error writes its traceback to a private log file and says where (3); SIGINT and SIGTERM end
the command as an interruption (130).  The codes are forkflow/exitcodes.py's.

The crash log is a new file that only the user can read (``tempfile.mkstemp``: mode 0600, a
name nobody can guess or plant a link at) in the user's state folder
(``$XDG_STATE_HOME/forkflow``, else ``~/.local/state/forkflow``, made 0700), or in the temporary
folder when that cannot be written.  Tokens are scrubbed from its text before it is written.
"""

from __future__ import annotations

import os
import platform
import re
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from forkflow import __version__
from forkflow.errors import ForkflowError, ShardError
from forkflow.exitcodes import EXIT_CLOSED_PIPE, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_UNEXPECTED
from forkflow.network.shard import Shard, parse_shard

SECRET_VARIABLES = ("GITHUB_TOKEN", "FORKFLOW_APP_PRIVATE_KEY", "PGPASSWORD")
"""Environment variables whose values never appear in a crash log."""
SCRUBBED = "***"
_TOKEN_SHAPES = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})")
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
_TOKEN_OPTION = "token"  # the parameter name of every --token option


@contextmanager
def handle_errors(*, usage: tuple[type[ForkflowError], ...] = ()) -> Iterator[None]:
    """Turn failures into one line and an exit code.

    ``usage``: the kinds of forkflow error that, in this command, come from what its options
    and arguments name (a node that does not exist, say): they are usage mistakes (exit 2).
    """
    try:
        yield
    except usage as err:
        raise click.UsageError(str(err)) from err
    except ForkflowError as err:
        for line in str(err).splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(EXIT_ERROR)
    except click.Abort as err:  # what click makes of Ctrl-C, or of a closed stdin, at a prompt
        if isinstance(err.__context__, EOFError):
            click.echo("error: the question got no answer (stdin is closed); nothing was changed", err=True)
            sys.exit(EXIT_ERROR)
        _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except BrokenPipeError:  # `forkflow ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        sys.exit(EXIT_CLOSED_PIPE)
    except Exception:
        log = write_crash_log(crash_report(traceback.format_exc()))
        where = f"the traceback is in {log}" if log else "its traceback could not be written to any folder"
        click.echo(f"forkflow: unexpected error; {where}. Please report it.", err=True)
        sys.exit(EXIT_UNEXPECTED)


def _interrupted() -> None:
    click.echo("interrupted; nothing was left half-written", err=True)
    sys.exit(EXIT_INTERRUPTED)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the command runs, SIGTERM (a CI runner's cancel, ``kill``) interrupts it as SIGINT does.

    Installed by the entry point for the command's run only, and only where Python lets a
    handler be installed (the main thread); the previous handler is put back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if TYPE_CHECKING:
    _ParamType = click.ParamType[Shard]
else:  # not every click forkflow supports makes ParamType generic at run time
    _ParamType = click.ParamType


class ShardType(_ParamType):
    """``K/N``: shard K of N; any other text is a usage mistake."""

    name = "K/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Shard:
        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(str(value))
        except ShardError as err:
            self.fail(str(err), param, ctx)


def require_nodes(names: Iterable[str], known: Iterable[str], option: str, message: Callable[[str], str]) -> None:
    """A usage mistake (naming ``option``) unless every name is among ``known``; ``message`` says it of the others."""
    have = set(known)
    unknown = [name for name in names if name not in have]
    if unknown:
        raise click.BadParameter(message(", ".join(map(repr, unknown))), param_hint=[option])


def crash_report(trace: str, environ: Mapping[str, str] = os.environ) -> str:
    """What the crash log holds: forkflow's version, the command line and the traceback, tokens scrubbed."""
    text = (
        f"forkflow {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
        f"command: {' '.join(['forkflow', *sys.argv[1:]])}\n\n{trace}"
    )
    return scrub(text, secrets(environ))


def secrets(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The values to keep out of a crash log: the tokens of the environment and of --token."""
    found = [environ.get(name, "") for name in SECRET_VARIABLES]
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        value = ctx.params.get(_TOKEN_OPTION)
        if isinstance(value, str):
            found.append(value)
        ctx = ctx.parent
    argv = sys.argv[1:]
    for index, arg in enumerate(argv):  # --token given on the command line, before click parsed it
        if arg == "--token" and index + 1 < len(argv):
            found.append(argv[index + 1])
        elif arg.startswith("--token="):
            found.append(arg.removeprefix("--token="))
    pieces = [line.strip() for value in found for line in value.splitlines()]  # a PEM key, line by line
    return sorted({value for value in [*found, *pieces] if len(value) >= 4}, key=len, reverse=True)


def scrub(text: str, values: list[str]) -> str:
    """``text`` without the given secret values, GitHub-shaped tokens or credentials in URLs."""
    for value in values:
        text = text.replace(value, SCRUBBED)
    text = _TOKEN_SHAPES.sub(SCRUBBED, text)
    return _URL_USERINFO.sub(lambda match: f"{match['scheme']}{SCRUBBED}@", text)


def write_crash_log(text: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Write ``text`` to a new private file (the state folder, else the temporary folder); its path, or None."""
    state = _state_folder(environ)
    for folder in [state, None] if state is not None else [None]:
        try:
            if folder is not None:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix="forkflow-crash-", suffix=".log", dir=folder)
        except (OSError, RuntimeError):
            continue
        try:
            with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as out:
                out.write(text)
        except OSError:
            Path(name).unlink(missing_ok=True)
            continue
        return Path(name)
    return None


def _state_folder(environ: Mapping[str, str]) -> Path | None:
    """forkflow's folder in the user's state home (XDG: a relative XDG_STATE_HOME is ignored)."""
    state = environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):
        return Path(state) / "forkflow"
    try:
        return Path.home() / ".local" / "state" / "forkflow"
    except RuntimeError:  # no home folder to be found
        return None
