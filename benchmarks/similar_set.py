"""A labelled set of pairs of code changes that are, or are not, "the same change" -- built as real git commits.

    python benchmarks/similar_set.py --out /tmp/similar            # 11 categories x 40 cases
    python benchmarks/similar_set.py --out /tmp/s --per-category 5 --seed 3

It measures a detector of duplicate changes across forks (precision and recall) and is made
without looking at any detector.  The source material is real code: top-level modules of the
running interpreter's standard library, each committed once in a base commit.  An "original
change" is a realistic edit of a real function (a guard clause, a new default, logging, a
cache, a retry loop, an off-by-one fix, a new helper, a better error message, a new
parameter), sometimes in two places or two files.  Each case has two sides, each a chain of
commits on its own branch; a side starts at the base commit that holds its file(s), except
on the drifted side of ``cherry-picked-on-drifted-base``, which starts one commit later.

Positive categories (``same=True``) redo the original change the way another person would:
retyped, with other names, with the hunks placed elsewhere, slightly different, split into
commits against squashed, or on a base with an unrelated nearby edit.  Negative categories
(``same=False``) are near misses: another change of the same file, a different fix of the
same lines, the same kind of edit elsewhere, the same commit message on other code, shared
boilerplate around different logic.  No pair is byte-identical (their ``git patch-id``
values differ): those are trivially found and do not belong here.  The set is deterministic:
the same seed and size give the same commit ids on the same interpreter.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from random import Random

START = 1_700_000_000

POSITIVE = (
    "retyped",
    "renamed-variable",
    "reordered-hunks",
    "slightly-different",
    "split-vs-squashed",
    "cherry-picked-on-drifted-base",
)
NEGATIVE = (
    "same-file-different-feature",
    "same-lines-different-fix",
    "same-kind-elsewhere",
    "same-message-different-code",
    "shared-boilerplate",
)
CATEGORIES = POSITIVE + NEGATIVE

KINDS = ("guard", "default", "constant", "logging", "cache", "retry", "offbyone", "helper", "message", "param")
NAMEABLE = ("logging", "retry", "helper", "param")
PLACEABLE = ("logging", "cache", "retry", "helper")
SLIGHT = ("guard", "default", "constant", "logging", "cache", "retry", "helper", "message", "param")
DRIFT_KINDS = ("guard", "default", "constant", "offbyone", "message")
PER_FUNCTION = ("bp-deprecation", "bp-all")  # boilerplate that each side adds for a different name

AUTHORS = (
    "Ana Lima <ana.lima@example.org>",
    "Bjorn Eriksen <bjorn@fjord.example.no>",
    "Chen Wei <wei.chen@example.cn>",
    "Dana Okafor <dokafor@example.com>",
    "Emil Novak <emil.novak@example.cz>",
    "Farah Haddad <farah@haddad.example.net>",
    "Gus Pereira <gus@example.edu>",
    "Hana Sato <hsato@example.jp>",
    "Ivan Petrov <ivan.petrov@example.ru>",
    "Julia Weber <jweber@example.de>",
)

# Knobs of the way a change is typed, each with its number of values.  Cosmetic knobs change
# the text but not the logic; the others change names, placement or a detail of the logic.
KNOBS = {
    "quote": 2,
    "comment": 3,
    "blank": 2,
    "wrap": 3,
    "spelling": 2,
    "names": 3,
    "placement": 3,
    "message": 3,
    "value": 2,
    "extra": 2,
}
VISIBLE = ("quote", "comment", "spelling")  # cosmetic knobs that change more than whitespace

IO_CALLS = frozenset(  # names of calls that do I/O, worth retrying
    """
    read readline readlines write writelines open close connect send sendall recv recv_into accept bind
    flush fetch request urlopen stat lstat listdir scandir mkdir makedirs remove unlink rename rmdir
    chmod chown seek truncate fsync load dump getaddrinfo select poll wait popen copyfile copy2 move
    lock login makefile link symlink utime access putrequest getresponse starttls ehlo helo quit
    retrbinary storbinary
    """.split()  # noqa: SIM905
)
EXC_SWAP = {
    "ValueError": "TypeError",
    "TypeError": "ValueError",
    "RuntimeError": "ValueError",
    "KeyError": "LookupError",
    "IndexError": "LookupError",
    "AttributeError": "TypeError",
    "NotImplementedError": "TypeError",
    "OSError": "RuntimeError",
}
NUMERIC = re.compile(
    r"^(n|i|j|k|num|count|size|maxsize|length|len|width|height|level|depth|offset|limit|timeout|indent)"
)
PATHISH = re.compile(r"(path|file|dir|filename|name|root|dest|src|url)")

SUBJECTS = {
    "guard": (
        "Reject None {p} in {f}()",
        "{mod}: validate {p} in {f}",
        "Raise ValueError when {p} is None",
        "Fail early on a missing {p} in {f}",
        "Check the {p} argument of {f}",
    ),
    "default": (
        "Change the default {p} of {f} to {new}",
        "{mod}: use {new} as the default {p}",
        "Set default {p}={new} in {f}",
        "Adjust the default value of {p} in {f}",
    ),
    "constant": ("Set {const} to {new}", "Change {const} from {old} to {new}", "{mod}: tune {const}", "Adjust {const}"),
    "logging": (
        "Add debug logging to {f}",
        "Log calls to {f}",
        "{mod}: log {p} in {f}",
        "Add a logger to {mod} and log {f}",
    ),
    "cache": (
        "Cache the results of {f}",
        "Memoize {f}",
        "{mod}: add lru_cache to {f}",
        "Speed up repeated calls to {f}",
    ),
    "retry": (
        "Retry {call} on OSError",
        "Retry transient failures in {f}",
        "{mod}: retry {call} up to {n} times",
        "Make {f} robust against flaky I/O",
    ),
    "offbyone": (
        "Fix off-by-one in {f}",
        "{mod}: fix boundary check in {f}",
        "Fix the comparison in {f}",
        "Fix fencepost error in {f}",
    ),
    "helper": (
        "Add {helper}() and use it in {f}",
        "Normalize {p} in {f}",
        "{mod}: factor out {helper}",
        "Clean up {p} handling in {f}",
    ),
    "message": (
        "Improve the error message in {f}",
        "Include {p} in the {exc} raised by {f}",
        "{mod}: clearer error for a bad {p}",
        "Show the offending value in {f} errors",
    ),
    "param": (
        "Add a {new} parameter to {f}",
        "{f}: add {new} option",
        "{mod}: support {new}= in {f}",
        "Let callers of {f} pass {new}",
    ),
    "excclass": (
        "Raise {new} instead of {old} in {f}",
        "{mod}: use {new} for invalid input in {f}",
        "Use the right exception type in {f}",
    ),
    "bp-logging": ("Set up a module logger in {mod}", "{mod}: add a logger"),
    "bp-future": ("Use postponed evaluation of annotations in {mod}", "{mod}: add from __future__ import annotations"),
    "bp-deprecation": ("Deprecate {f}", "{mod}: deprecate {f}()"),
    "bp-all": ("Export {name} from {mod}", "Add {name} to {mod}.__all__"),
}
BODIES = {
    "guard": (
        "Passing None used to fail much later, with an error that did not name the argument.",
        "Found while testing with incomplete input.",
    ),
    "logging": ("Helps when debugging reports from the field.", "Debug level only, so nothing changes by default."),
    "cache": ("Profiling showed the same arguments over and over.",),
    "retry": ("The call fails now and then on busy machines; a short back-off is enough.",),
    "offbyone": ("The last element was skipped.", "The limit itself must be accepted."),
    "helper": ("Both str and bytes show up here in practice.",),
    "message": ("The old message did not say which value was wrong.",),
    "param": ("Off by default, so existing callers are not affected.",),
}
GENERIC_SUBJECTS = (
    "Fix {f}",
    "Address review comments",
    "Port fix from the upstream fork",
    "{mod}: small fix",
    "Apply patch from the mailing list",
    "Fix for {f}",
)
SAME_SUBJECTS = (
    "Fix crash on empty input",
    "Handle None values correctly",
    "Fix edge case reported by users",
    "Improve robustness of {mod}",
    "Fix error handling",
    "Make {mod} more robust",
)
DRIFT_NOTES = (
    "NOTE: also reached from the C accelerator fallback.",
    "XXX: third-party code relies on the behaviour below.",
    "See the module docstring for the overall design.",
    "TODO: revisit once the old API is gone.",
    "Keep this in sync with the documentation.",
)


class Skip(Exception):
    """This edit cannot be made here (or not in this style); try another."""


# --------------------------------------------------------------------------- source analysis


@dataclass(frozen=True)
class Spot:
    """A place in one line: byte columns [col, end) of line ``line`` (0-based), with what is there."""

    line: int
    col: int = 0
    end: int = 0
    text: str = ""
    extra: str = ""


@dataclass(frozen=True)
class Func:
    """A top-level function or a method of a top-level class, with the places an edit can touch."""

    qualname: str
    name: str
    top: int  # first line of the top-level statement holding it, with its decorators and comments
    top_end: int  # line after that statement
    def_line: int
    body_at: int  # where a statement goes at the start of the body (after the docstring)
    indent: str
    params: tuple[str, ...]
    required: tuple[str, ...]
    method: bool
    decorated: bool
    one_line_def: bool
    generator: bool
    returns_value: bool
    identifiers: frozenset[str]
    defaults: tuple[Spot, ...]
    compares: tuple[Spot, ...]
    raises: tuple[Spot, ...]  # the exception name; extra holds the message if it is a plain literal
    raise_args: tuple[Spot, ...]
    calls: tuple[Spot, ...]  # single-line statements calling something that does I/O
    sig_end: int  # byte column on the def line where a new parameter goes
    sig_kwarg: bool  # a new parameter goes before **kwargs


@dataclass
class Module:
    """What the generator needs to know about one source text."""

    name: str
    lines: tuple[str, ...]
    funcs: Functions
    names: frozenset[str]
    imported: frozenset[str]
    plain_imports: tuple[tuple[int, str], ...]
    import_end: int
    first_def: int
    docstring_end: int
    future: bool
    logger: str
    constants: tuple[Spot, ...]
    all_spot: Spot | None
    exported: frozenset[str]
    statements: frozenset[int]  # lines where a statement starts
    candidates: dict[str, tuple[Edit, ...]] = field(default_factory=dict)


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node`` without going into nested functions, classes or lambdas."""
    found: list[ast.AST] = []
    pending = [node]
    while pending:
        for child in ast.iter_child_nodes(pending.pop()):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                found.append(child)
                pending.append(child)
    found.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return found


def _lead(lines: Sequence[str], index: int) -> int:
    """Move ``index`` up over the comment lines right above it."""
    while index > 0 and lines[index - 1].lstrip().startswith("#"):
        index -= 1
    return index


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _rest_is_empty(line: str, col: int) -> bool:
    rest = line.encode()[col:].decode(errors="replace").strip()
    return not rest or rest.startswith("#")


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> tuple[list[str], list[str]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    if method and not static and positional:
        positional = positional[1:]
    with_default = {
        a.arg for a in [*args.posonlyargs, *args.args][len(args.posonlyargs) + len(args.args) - len(args.defaults) :]
    }
    with_default |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    names = [a.arg for a in [*positional, *args.kwonlyargs]]
    return names, [n for n in names if n not in with_default]


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Spot]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    pairs: list[tuple[ast.arg, ast.expr | None]] = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    spots = []
    for arg, value in pairs:
        if isinstance(value, ast.Constant) and isinstance(value.value, int | float) and value.lineno == node.lineno:
            source = "True" if value.value is True else "False" if value.value is False else None
            spots.append(Spot(node.lineno - 1, value.col_offset, value.end_col_offset or 0, arg.arg, source or ""))
    return spots


def _signature_end(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, bool]:
    """Byte column where a new parameter goes, and whether it goes before ``**kwargs``."""
    args = node.args
    if args.kwarg is not None:
        return args.kwarg.col_offset - 2, True
    parts: list[ast.AST] = [*args.posonlyargs, *args.args, *args.defaults, *args.kwonlyargs]
    parts += [d for d in args.kw_defaults if d is not None]
    if args.vararg is not None:
        parts.append(args.vararg)
    return max(((getattr(p, "end_col_offset", 0) or 0) for p in parts), default=0), False


def _one_line_def(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]) -> bool:
    line = lines[node.lineno - 1]
    nodes: list[ast.AST] = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, *node.args.defaults]
    if node.returns is not None:
        nodes.append(node.returns)
    same = all(getattr(n, "lineno", node.lineno) == node.lineno == getattr(n, "end_lineno", node.lineno) for n in nodes)
    return same and line.rstrip().endswith(":") and node.body[0].lineno > node.lineno


def _compares(nodes: Sequence[ast.AST], lines: Sequence[str]) -> list[Spot]:
    ops = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
    starts = {n.lineno - 1 for n in nodes if isinstance(n, ast.stmt)}
    spots = []
    for sub in nodes:
        if not isinstance(sub, ast.Compare) or len(sub.ops) != 1 or type(sub.ops[0]) not in ops:
            continue
        left, right = sub.left, sub.comparators[0]
        if left.end_lineno != right.lineno:
            continue
        index = right.lineno - 1
        raw = lines[index].encode()
        op = ops[type(sub.ops[0])]
        col, end = left.end_col_offset or 0, right.col_offset
        if raw[col:end].decode(errors="replace").strip() == op:
            spots.append(Spot(index, col, end, op, "stmt" if index in starts else ""))
    return spots


def _plain_message(value: ast.expr) -> str:
    if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
        return ""
    text = value.value
    if not 3 <= len(text) <= 60 or any(c in text for c in "'\"\\{}%\n") or not text.isprintable():
        return ""
    return text


def _raises(nodes: Sequence[ast.AST], lines: Sequence[str]) -> list[tuple[Spot, Spot]]:
    spots = []
    for sub in nodes:
        if not isinstance(sub, ast.Raise) or not isinstance(sub.exc, ast.Call) or sub.lineno != sub.end_lineno:
            continue
        call = sub.exc
        if not isinstance(call.func, ast.Name) or len(call.args) != 1 or call.keywords:
            continue
        index = sub.lineno - 1
        bare = len(_indent(lines[index])) == sub.col_offset and _rest_is_empty(lines[index], sub.end_col_offset or 0)
        name = Spot(index, call.func.col_offset, call.func.end_col_offset or 0, call.func.id, "bare" if bare else "")
        arg = call.args[0]
        spots.append((name, Spot(index, arg.col_offset, arg.end_col_offset or 0, _plain_message(arg))))
    return spots


def _calls(nodes: Sequence[ast.AST], lines: Sequence[str]) -> list[Spot]:
    spots = []
    for sub in nodes:
        if not isinstance(sub, ast.Expr | ast.Assign | ast.Return) or not isinstance(sub.value, ast.Call):
            continue
        if isinstance(sub, ast.Assign) and len(sub.targets) != 1:
            continue
        index = sub.lineno - 1
        if sub.end_lineno != sub.lineno or len(_indent(lines[index])) != sub.col_offset:
            continue
        if not _rest_is_empty(lines[index], sub.end_col_offset or 0) or ";" in lines[index]:
            continue
        name = ast.unparse(sub.value.func)
        if name.rsplit(".", 1)[-1] in IO_CALLS and len(name) <= 40:
            spots.append(Spot(index, text=name, extra=type(sub).__name__))
    return spots


def _func(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: ast.stmt, cls: str, lines: Sequence[str]) -> Func | None:
    body = node.body
    doc = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    real = body[1:] if doc else body
    if len(real) < 2 or real[0].lineno <= node.lineno or (node.name.startswith("__") and node.name != "__init__"):
        return None
    params, required = _params(node, bool(cls))
    top_start = min([owner.lineno, *(d.lineno for d in getattr(owner, "decorator_list", []))]) - 1
    identifiers: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            identifiers.add(sub.id)
        elif isinstance(sub, ast.arg):
            identifiers.add(sub.arg)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            identifiers.update(sub.names)
    one_line = _one_line_def(node, lines)
    sig_end, sig_kwarg = _signature_end(node)
    inside = _walk(node)
    raises = _raises(inside, lines)
    return Func(
        qualname=f"{cls}.{node.name}" if cls else node.name,
        name=node.name,
        top=_lead(lines, top_start),
        top_end=owner.end_lineno or owner.lineno,
        def_line=node.lineno - 1,
        body_at=(body[0].end_lineno or body[0].lineno) if doc else real[0].lineno - 1,
        indent=_indent(lines[real[0].lineno - 1]),
        params=tuple(params),
        required=tuple(required),
        method=bool(cls),
        decorated=bool(node.decorator_list),
        one_line_def=one_line,
        generator=any(isinstance(n, ast.Yield | ast.YieldFrom) for n in inside),
        returns_value=any(
            isinstance(n, ast.Return)
            and n.value is not None
            and not (isinstance(n.value, ast.Constant) and n.value.value is None)
            for n in inside
        ),
        identifiers=frozenset(identifiers),
        defaults=tuple(_defaults(node)) if one_line else (),
        compares=tuple(_compares(inside, lines)),
        raises=tuple(r[0] for r in raises),
        raise_args=tuple(r[1] for r in raises),
        calls=tuple(_calls(inside, lines)),
        sig_end=sig_end,
        sig_kwarg=sig_kwarg,
    )


class Functions(Mapping[str, Func]):
    """The functions of a module that edits can target, each analysed when first asked for."""

    def __init__(self, tree: ast.Module, lines: Sequence[str]) -> None:
        self.lines = lines
        self.nodes: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.stmt, str]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.nodes.setdefault(node.name, (node, node, ""))
            elif isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                        self.nodes.setdefault(f"{node.name}.{sub.name}", (sub, node, node.name))
        self.done: dict[str, Func | None] = {}

    def _get(self, qualname: str) -> Func | None:
        if qualname not in self.done:
            node, owner, cls = self.nodes[qualname]
            self.done[qualname] = _func(node, owner, cls, self.lines)
        return self.done[qualname]

    def __getitem__(self, qualname: str) -> Func:
        func = self._get(qualname)
        if func is None:
            raise KeyError(qualname)
        return func

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.nodes if self._get(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _top_imports(tree: ast.Module) -> tuple[set[str], list[ast.stmt]]:
    """Names bound by module-level imports (also inside top-level try/if), and the plain import statements."""
    bound: set[str] = set()
    statements: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            statements.append(node)
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Try | ast.If):
            pending += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []):
                pending += handler.body
    return bound, statements


def _all_strings(value: ast.List) -> bool:
    return bool(value.elts) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)


def _is_constant(target: str, node: ast.Assign) -> bool:
    """A one-line module constant such as ``MAXLINE = 2048``."""
    value = node.value
    if not (target.isupper() and len(target) > 1 and node.lineno == node.end_lineno):
        return False
    if not isinstance(value, ast.Constant) or isinstance(value.value, bool) or not isinstance(value.value, int):
        return False
    return 0 < value.value < 10**9


def _module_facts(tree: ast.Module, lines: tuple[str, ...], name: str) -> Module:
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    first = defs[0] if defs else None
    first_def = (
        _lead(lines, min([first.lineno, *(d.lineno for d in first.decorator_list)]) - 1) if first else len(lines)
    )
    early = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) and n.lineno - 1 < first_def]
    doc = tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
    docstring_end = (tree.body[0].end_lineno or 0) if doc else 0
    plain = [
        (n.lineno - 1, n.names[0].name)
        for n in early
        if isinstance(n, ast.Import) and len(n.names) == 1 and not n.names[0].asname and n.lineno == n.end_lineno
    ]
    logger, constants, all_spot, exported = "", [], None, frozenset[str]()
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            continue
        target, value = node.targets[0].id, node.value
        if isinstance(value, ast.Call) and ast.unparse(value.func) == "logging.getLogger":
            logger = target
        elif target == "__all__" and isinstance(value, ast.List) and _all_strings(value):
            exported = frozenset(str(e.value) for e in value.elts if isinstance(e, ast.Constant))
            all_spot = Spot((value.end_lineno or 1) - 1, (value.end_col_offset or 1) - 1)
        elif _is_constant(target, node):
            constants.append(Spot(node.lineno - 1, value.col_offset, value.end_col_offset or 0, target))
    bound, _ = _top_imports(tree)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    return Module(
        name=name,
        lines=lines,
        funcs=Functions(tree, lines),
        names=frozenset(names | bound),
        imported=frozenset(bound),
        plain_imports=tuple(plain),
        import_end=max([(n.end_lineno or 0) for n in early] or [docstring_end]),
        first_def=first_def,
        docstring_end=docstring_end,
        future=any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body),
        logger=logger,
        constants=tuple(constants),
        all_spot=all_spot,
        exported=exported,
        statements=frozenset(n.lineno - 1 for n in ast.walk(tree) if isinstance(n, ast.stmt)),
    )


_MODULES: dict[tuple[str, str], Module] = {}


def analyze(text: str, name: str) -> Module:
    """Parse ``text`` once and remember it (texts are analysed again and again)."""
    key = (name, text)
    if key in _MODULES:
        return _MODULES[key]
    module = _module_facts(ast.parse(text), tuple(text.split("\n")), name)
    if len(_MODULES) > 400:
        _MODULES.clear()
    _MODULES[key] = module
    return module


# --------------------------------------------------------------------------- edits and styles


@dataclass(frozen=True)
class Edit:
    """One logical edit: a kind of change made to a target (a function's qualname or a constant)."""

    kind: str
    path: str
    target: str
    param: str = ""
    spot: int = 0
    choice: int = 0


@dataclass(frozen=True)
class Style:
    """How a person types an edit; each knob is an index into that edit kind's alternatives."""

    quote: int = 0
    comment: int = 0
    blank: int = 0
    wrap: int = 0
    spelling: int = 0
    names: int = 0
    placement: int = 0
    message: int = 0
    value: int = 0
    extra: int = 0


@dataclass(frozen=True)
class Op:
    """Replace lines [start, end) of the base text of ``path`` by ``new`` (an insertion when start == end)."""

    path: str
    start: int
    end: int
    new: tuple[str, ...]
    main: bool = True  # False for import lines and other set-up that many changes share
    first: bool = False  # goes before other insertions at the same place (``from __future__``)


Step = tuple[str, tuple[Op, ...]]  # a title (used when a change is split into commits) and its operations


@dataclass
class Rendered:
    steps: list[Step]
    facts: dict[str, str]


def random_style(rng: Random) -> Style:
    return Style(**{knob: rng.randrange(count) for knob, count in KNOBS.items()})


def mutate(style: Style, knobs: Sequence[str], rng: Random) -> Style:
    """The same style with each of ``knobs`` set to another value."""
    changes = {k: (getattr(style, k) + rng.randrange(1, KNOBS[k])) % KNOBS[k] for k in knobs}
    return replace(style, **changes)


def lit(text: str, style: Style) -> str:
    quote = "'" if style.quote else '"'
    return f"{quote}{text}{quote}"


def comment(indent: str, options: Sequence[str | None], style: Style) -> list[str]:
    text = options[style.comment % len(options)]
    return [] if text is None else [f"{indent}# {text}"]


def call(indent: str, head: str, args: Sequence[str], style: Style) -> list[str]:
    """``head(args)`` on one line, with a hanging indent, or with the arguments aligned under the parenthesis."""
    if style.wrap == 0 or not args:
        return [f"{indent}{head}({', '.join(args)})"]
    if style.wrap == 1:
        if len(args) == 1:
            return [f"{indent}{head}(", f"{indent}    {args[0]}", f"{indent})"]
        return [f"{indent}{head}(", *(f"{indent}    {a}," for a in args), f"{indent})"]
    first, *rest = args
    if not rest:
        return [f"{indent}{head}({first})"]
    pad = " " * (len(indent) + len(head) + 1)
    return [f"{indent}{head}({first},", *(f"{pad}{a}," for a in rest[:-1]), f"{pad}{rest[-1]})"]


def blank(style: Style, mod: Module, at: int) -> list[str]:
    """A blank line after inserted code, if the style wants one and the next line is not blank already."""
    return [""] if style.blank and at < len(mod.lines) and mod.lines[at].strip() else []


def splice(line: str, col: int, end: int, new: str) -> str:
    raw = line.encode()
    return (raw[:col] + new.encode() + raw[end:]).decode()


def free_name(options: Sequence[str], start: int, taken: frozenset[str]) -> str:
    """The first of ``options`` (from index ``start``, wrapping) that is not taken."""
    for offset in range(len(options)):
        name = options[(start + offset) % len(options)]
        if name not in taken:
            return name
    raise Skip("no free name")


def import_op(mod: Module, path: str, line: str, module: str, alphabetical: bool) -> Op:
    """Add an import line: in alphabetical place among the plain imports, or after the last import."""
    if alphabetical and mod.plain_imports:
        for index, name in mod.plain_imports:
            if name > module:
                return Op(path, index, index, (line,), main=False)
        last = mod.plain_imports[-1][0] + 1
        return Op(path, last, last, (line,), main=False)
    return Op(path, mod.import_end, mod.import_end, (line,), main=False)


def insert(path: str, at: int, lines: Sequence[str], main: bool = True) -> Op:
    return Op(path, at, at, tuple(lines), main)


def replace_line(path: str, index: int, lines: Sequence[str]) -> Op:
    return Op(path, index, index + 1, tuple(lines))


def bumped(old: str) -> list[str]:
    """New values for a literal: the value a person would change it to, first choice first."""
    if old in ("True", "False"):
        return ["False" if old == "True" else "True"]
    try:
        number = int(old, 0)
    except ValueError:
        value = float(old)
        return [repr(value * 2 or 1.0), repr(value / 2 or 0.5)]
    if number == 0:
        return ["1", "-1"]
    if number == 1:
        return ["2", "0"]
    return [str(number * 2), str(number + 1)]


# --------------------------------------------------------------------------- the edit kinds


def r_guard(e: Edit, s: Style, mod: Module) -> Rendered:
    fn, p = mod.funcs[e.target], e.param
    ind = fn.indent
    messages = (f"{p} must not be None", f"{p} is required", f"{fn.name}() needs a value for {p}")
    notes = (None, f"Fail early: a missing {p} would only break further down.", f"{p} is required.")
    lines = [
        *comment(ind, notes, s),
        f"{ind}if {p} is None:",
        *call(ind + "    ", "raise ValueError", [lit(messages[s.message], s)], s),
        *blank(s, mod, fn.body_at),
    ]
    return Rendered([(f"Reject None {p} in {fn.name}", (insert(e.path, fn.body_at, lines),))], {"exc": "ValueError"})


def r_default(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    spot = next(d for d in fn.defaults if d.text == e.param)
    old = spot.extra or mod.lines[spot.line].encode()[spot.col : spot.end].decode()
    options = bumped(old)
    new = options[s.value % len(options)]
    line = splice(mod.lines[spot.line], spot.col, spot.end, new)
    title = f"Change default {e.param} of {fn.name} to {new}"
    return Rendered([(title, (replace_line(e.path, spot.line, [line]),))], {"old": old, "new": new})


def r_constant(e: Edit, s: Style, mod: Module) -> Rendered:
    spot = next(c for c in mod.constants if c.text == e.target)
    old = mod.lines[spot.line].encode()[spot.col : spot.end].decode()
    options = bumped(old)
    new = options[s.value % len(options)]
    notes = (None, "Adjusted after measuring typical inputs.", f"Keep {e.target} in sync with the documentation.")
    lines = [*comment("", notes, s), splice(mod.lines[spot.line], spot.col, spot.end, new)]
    facts = {"const": e.target, "old": old, "new": new}
    return Rendered([(f"Set {e.target} to {new}", (replace_line(e.path, spot.line, lines),))], facts)


def logger_setup(e: Edit, s: Style, mod: Module) -> tuple[str, list[Op]]:
    """The module logger's name, and the operations that import logging and define the logger if needed."""
    if mod.logger:
        return mod.logger, []
    name = free_name(("logger", "log", "_logger"), s.names, mod.names)
    ops = []
    if "logging" not in mod.imported:
        ops.append(import_op(mod, e.path, "import logging", "logging", s.placement != 1))
    definition = f"{name} = logging.getLogger(__name__)"
    if s.placement == 0:
        ops.append(insert(e.path, mod.import_end, ["", definition], main=False))
    else:
        ops.append(insert(e.path, mod.first_def, [definition, "", ""], main=False))
    return name, ops


def r_logging(e: Edit, s: Style, mod: Module) -> Rendered:
    fn, p = mod.funcs[e.target], e.param
    name, setup = logger_setup(e, s, mod)
    level = ("debug", "info")[s.value]
    message = (f"{fn.name} called with {p}=%r", f"{fn.name}: {p}=%r", f"entering {fn.name} ({p}=%r)")[s.message]
    ind = fn.indent + ("    " if s.extra else "")
    args = ["f" + lit(message.replace("%r", "{" + p + "!r}"), s)] if s.spelling else [lit(message, s), p]
    notes = (None, "Useful when tracing problems reported from the field.", f"Log {p} to help debugging.")
    lines = [*comment(fn.indent, notes, s)]
    if s.extra:
        lines.append(f"{fn.indent}if {name}.isEnabledFor(logging.{level.upper()}):")
    lines += call(ind, f"{name}.{level}", args, s)
    lines += blank(s, mod, fn.body_at)
    steps: list[Step] = [(f"Set up a module logger in {mod.name}", tuple(setup))] if setup else []
    steps.append((f"Log calls to {fn.name}", (insert(e.path, fn.body_at, lines),)))
    return Rendered(steps, {"logger": name, "level": level})


def r_cache(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    size = ("128", "512")[s.value]
    ops: list[Op] = []
    alphabetical = s.placement % 2 == 0
    if s.spelling:
        if "lru_cache" not in mod.names:
            ops.append(import_op(mod, e.path, "from functools import lru_cache", "functools", alphabetical))
        decorator = f"@lru_cache(maxsize={size})"
    else:
        if "functools" not in mod.imported:
            ops.append(import_op(mod, e.path, "import functools", "functools", alphabetical))
        decorator = f"@functools.lru_cache(maxsize={size})"
    notes = (None, "Pure function of its arguments, so it is safe to cache.", f"{fn.name} is called again and again.")
    lines = [*comment("", notes, s), decorator]
    steps: list[Step] = [(f"Import {'lru_cache' if s.spelling else 'functools'}", tuple(ops))] if ops else []
    steps.append((f"Cache {fn.name} results", (insert(e.path, fn.def_line, lines),)))
    return Rendered(steps, {"maxsize": size})


def r_retry(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    spot = fn.calls[e.spot]
    if "time" in mod.names and "time" not in mod.imported:
        raise Skip("time is something else here")
    line = mod.lines[spot.line]
    ind, statement = _indent(line), line.strip()
    var = free_name(("attempt", "tries", "i"), s.names, fn.identifiers)
    count, delay = ((3, "0.5"), (5, "0.2"))[s.value]
    check = f"if {var} + 1 == {count}:" if s.spelling else f"if {var} == {count - 1}:"
    notes = (None, "The call fails now and then on a busy system; try again.", "Retry transient OS errors.")
    lines = [
        *comment(ind, notes, s),
        f"{ind}for {var} in range({count}):",
        f"{ind}    try:",
        f"{ind}        {statement}",
        *([] if spot.extra == "Return" else [f"{ind}        break"]),
        f"{ind}    except OSError:",
        f"{ind}        {check}",
        f"{ind}            raise",
        f"{ind}        time.sleep({delay} * ({var} + 1))",
        *blank(s, mod, spot.line + 1),
    ]
    steps: list[Step] = []
    if "time" not in mod.imported:
        steps.append(("Import time", (import_op(mod, e.path, "import time", "time", s.placement % 2 == 0),)))
    steps.append((f"Retry {spot.text} on OSError", (replace_line(e.path, spot.line, lines),)))
    return Rendered(steps, {"call": spot.text, "n": str(count)})


def r_offbyone(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    spot = fn.compares[e.spot]
    flipped = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}[spot.text]
    line = mod.lines[spot.line]
    raw = line.encode()
    between = raw[spot.col : spot.end].decode().replace(spot.text, flipped, 1)
    new = (raw[: spot.col] + between.encode() + raw[spot.end :]).decode()
    notes = (None, "Careful with the boundary here.", "The limit itself counts.")
    lines = [*(comment(_indent(line), notes, s) if spot.extra == "stmt" else []), new]
    return Rendered([(f"Fix off-by-one in {fn.name}", (replace_line(e.path, spot.line, lines),))], {"op": flipped})


HELPERS: tuple[tuple[tuple[str, str, str], str, Callable[[str, Style], list[str]]], ...] = (
    (
        ("_coerce_{p}", "_as_text", "_decode_{p}"),
        "Return {v} as text, decoding bytes as UTF-8.",
        lambda v, s: [
            *([f"    if {v} is None:", f"        return {lit('', s)}"] if s.extra else []),
            f"    if isinstance({v}, (bytes, bytearray)):",
            f"        return bytes({v}).decode({lit('utf-8', s)}, {lit(('replace', 'surrogateescape')[s.value], s)})",
            f"    return {v}",
        ],
    ),
    (
        ("_fspath_{p}", "_as_path_str", "_{p}_to_str"),
        "Accept path-like objects as well as strings.",
        lambda v, s: [
            f"    if hasattr({v}, {lit('__fspath__', s)}):",
            f"        {v} = " + (f"type({v}).__fspath__({v})" if s.value else f"{v}.__fspath__()"),
            *([f"    if isinstance({v}, bytes):", f"        {v} = {v}.decode()"] if s.extra else []),
            f"    return {v}",
        ],
    ),
    (
        ("_check_{p}", "_non_negative", "_validate_{p}"),
        "Raise ValueError if {v} is negative.",
        lambda v, s: [
            f"    if {v} is not None and {v} {('<', '<=')[s.value]} 0:",
            f"        raise ValueError(f{lit('expected a non-negative value, got {' + v + '!r}', s)})",
            *([f"    {v} = int({v}) if isinstance({v}, bool) else {v}"] if s.extra else []),
            f"    return {v}",
        ],
    ),
    (
        ("_clean_{p}", "_strip_ws", "_normalize_{p}"),
        "Strip surrounding whitespace from string values.",
        lambda v, s: [
            f"    if isinstance({v}, str):",
            f"        {v} = {v}.strip({'' if not s.value else lit(' ', s)})",
            *([f"        {v} = {v} or None"] if s.extra else []),
            f"    return {v}",
        ],
    ),
)


def helper_choice(param: str) -> tuple[int, ...]:
    if NUMERIC.match(param):
        return (2,)
    if PATHISH.search(param):
        return (1, 0)
    return (0, 3)


def r_helper(e: Edit, s: Style, mod: Module) -> Rendered:
    fn, p = mod.funcs[e.target], e.param
    names, doc, body = HELPERS[e.choice]
    name = names[s.names].format(p=p)
    if name in mod.names:
        raise Skip("helper name taken")
    v = ("value", "obj", "value")[s.names]
    head = [f"def {name}({v}):"]
    if s.comment == 0:
        quotes = "'''" if s.quote else '"""'
        head.append(f"    {quotes}{doc.format(v=v)}{quotes}")
    elif s.comment == 1:
        head.insert(0, f"# {doc.format(v=v)}")
    helper = [*head, *body(v, s)]
    top = mod.funcs[e.target]
    if s.placement == 0:
        place = insert(e.path, top.top, [*helper, "", ""])
    elif s.placement == 1:
        place = insert(e.path, top.top_end, ["", "", *helper])
    else:
        place = insert(e.path, mod.first_def, [*helper, "", ""])
    use = [f"{fn.indent}{p} = {name}({p})", *blank(s, mod, fn.body_at)]
    steps: list[Step] = [
        (f"Add {name}() helper", (place,)),
        (f"Use {name} in {fn.name}", (insert(e.path, fn.body_at, use),)),
    ]
    return Rendered(steps, {"helper": name})


def r_message(e: Edit, s: Style, mod: Module) -> Rendered:
    fn, p = mod.funcs[e.target], e.param
    name, arg = fn.raises[e.spot], fn.raise_args[e.spot]
    suffix = (": {X!r}", " (got {X!r})", f"; {p}={{X!r}}")[s.message]
    if s.spelling:
        new = lit(arg.text + suffix.replace("X", ""), s) + f".format({p})"
    else:
        new = "f" + lit(arg.text + suffix.replace("X", p), s)
    line = mod.lines[arg.line]
    if s.wrap and name.extra == "bare":
        ind = _indent(line)
        lines = [f"{ind}raise {name.text}(", f"{ind}    {new}", f"{ind})"]
    else:
        lines = [splice(line, arg.col, arg.end, new)]
    title = f"Include {p} in the {name.text} from {fn.name}"
    return Rendered([(title, (replace_line(e.path, arg.line, lines),))], {"exc": name.text})


PARAMS = (
    (("strict", "check", "validate"), "False"),
    (("verbose", "debug", "trace"), "False"),
    (("default", "fallback", "missing"), "None"),
)


def r_param(e: Edit, s: Style, mod: Module) -> Rendered:
    fn, p = mod.funcs[e.target], e.param
    names, default = PARAMS[e.choice]
    new = free_name(names, s.names, fn.identifiers | mod.names)
    line = mod.lines[fn.def_line]
    text = f"{new}={default}, " if fn.sig_kwarg else f", {new}={default}"
    signature = splice(line, fn.sig_end, fn.sig_end, text)
    ind, inner = fn.indent, fn.indent + "    "
    if e.choice == 0:
        message = (f"{p} must not be empty", f"empty {p}", f"{p} is required in strict mode")[s.message]
        use = [f"{ind}if {new} and not {p}:", *call(inner, "raise ValueError", [lit(message, s)], s)]
    elif e.choice == 1:
        text = f"{fn.name}: {p}="
        shown = f"f{lit(text + '{' + p + '!r}', s)}" if s.spelling else f"{lit(text + '%r', s)} % ({p},)"
        use = [
            f"{ind}if {new}:",
            *call(inner, "print", [shown, *(["file=sys.stderr"] if "sys" in mod.imported else [])], s),
        ]
    else:
        use = [f"{ind}if {p} is None:", f"{inner}return {new}"]
    notes = (None, "Opt-in; the default keeps the old behaviour.", f"Only when {new} is set.")
    use = [*comment(ind, notes, s), *use, *blank(s, mod, fn.body_at)]
    steps: list[Step] = [
        (f"Add {new} parameter to {fn.name}", (replace_line(e.path, fn.def_line, [signature]),)),
        (f"Honour {new} in {fn.name}", (insert(e.path, fn.body_at, use),)),
    ]
    return Rendered(steps, {"new": new})


def r_excclass(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    spot = fn.raises[e.spot]
    new = EXC_SWAP[spot.text]
    line = splice(mod.lines[spot.line], spot.col, spot.end, new)
    title = f"Raise {new} instead of {spot.text} in {fn.name}"
    return Rendered([(title, (replace_line(e.path, spot.line, [line]),))], {"old": spot.text, "new": new})


def r_bp_logging(e: Edit, s: Style, mod: Module) -> Rendered:
    name, ops = logger_setup(e, s, mod)
    return Rendered([(f"Set up a module logger in {mod.name}", tuple(ops))], {"logger": name})


def r_bp_future(e: Edit, s: Style, mod: Module) -> Rendered:
    lines = (
        ["", "from __future__ import annotations"] if mod.docstring_end else ["from __future__ import annotations", ""]
    )
    op = Op(e.path, mod.docstring_end, mod.docstring_end, tuple(lines), main=False, first=True)
    return Rendered([("Use postponed evaluation of annotations", (op,))], {})


def r_bp_deprecation(e: Edit, s: Style, mod: Module) -> Rendered:
    fn = mod.funcs[e.target]
    ops = [] if "warnings" in mod.imported else [import_op(mod, e.path, "import warnings", "warnings", True)]
    args = [lit(f"{fn.name}() is deprecated", s), "DeprecationWarning", "stacklevel=2"]
    ops.append(insert(e.path, fn.body_at, call(fn.indent, "warnings.warn", args, s), main=False))
    return Rendered([(f"Deprecate {fn.name}", tuple(ops))], {})


def r_bp_all(e: Edit, s: Style, mod: Module) -> Rendered:
    assert mod.all_spot is not None
    spot = mod.all_spot
    line = mod.lines[spot.line]
    entry = lit(e.target, s)
    if line.strip() == "]":
        previous = mod.lines[spot.line - 1]
        fixed = previous if previous.rstrip().endswith(",") else previous.rstrip() + ","
        new = [fixed, f"{_indent(previous)}{entry},"]
        op = Op(e.path, spot.line - 1, spot.line, tuple(new), main=False)
    else:
        before = line.encode()[: spot.col].decode().rstrip()
        glue = " " if before.endswith(",") else ", "
        op = Op(e.path, spot.line, spot.line + 1, (splice(line, spot.col, spot.col, glue + entry),), main=False)
    return Rendered([(f"Export {e.target}", (op,))], {"name": e.target})


RENDERERS: dict[str, Callable[[Edit, Style, Module], Rendered]] = {
    "guard": r_guard,
    "default": r_default,
    "constant": r_constant,
    "logging": r_logging,
    "cache": r_cache,
    "retry": r_retry,
    "offbyone": r_offbyone,
    "helper": r_helper,
    "message": r_message,
    "param": r_param,
    "excclass": r_excclass,
    "bp-logging": r_bp_logging,
    "bp-future": r_bp_future,
    "bp-deprecation": r_bp_deprecation,
    "bp-all": r_bp_all,
}


def _function_candidates(kind: str, fn: Func) -> list[Edit]:
    t = fn.qualname
    if kind in ("guard", "helper"):
        params = [p for p in fn.required if not p.startswith("_")][:2]
        if kind == "guard":
            return [Edit(kind, "", t, p) for p in params]
        return [Edit(kind, "", t, p, choice=c) for p in params for c in helper_choice(p)]
    if kind == "default":
        return [Edit(kind, "", t, d.text) for d in fn.defaults]
    if kind in ("logging", "bp-deprecation"):
        return [Edit(kind, "", t, fn.params[0])] if fn.params and not fn.generator else []
    if kind == "cache":
        ok = not fn.method and not fn.decorated and not fn.generator and fn.params
        return [Edit(kind, "", t)] if ok else []
    if kind == "retry":
        return [Edit(kind, "", t, spot=i) for i in range(len(fn.calls))]
    if kind == "offbyone":
        return [Edit(kind, "", t, spot=i) for i in range(len(fn.compares))]
    if kind == "message":
        spots = [i for i, a in enumerate(fn.raise_args) if a.text]
        return [Edit(kind, "", t, p, spot=i) for i in spots for p in fn.params[:2]]
    if kind == "excclass":
        return [Edit(kind, "", t, spot=i) for i, r in enumerate(fn.raises) if r.text in EXC_SWAP]
    if kind == "param" and fn.one_line_def and fn.required:
        choices = [0, 1, 2] if fn.returns_value and not fn.generator else [0, 1]
        return [Edit(kind, "", t, fn.required[0], choice=c) for c in choices]
    return []


def candidates(mod: Module, kind: str, path: str) -> tuple[Edit, ...]:
    """Every edit of ``kind`` this module allows (computed once per module and kind)."""
    if kind not in mod.candidates:
        found: list[Edit] = []
        if kind == "constant":
            found = [Edit(kind, "", c.text) for c in mod.constants]
        elif kind == "bp-logging":
            found = [] if mod.logger or "logging" in mod.imported else [Edit(kind, "", "")]
        elif kind == "bp-future":
            found = [] if mod.future else [Edit(kind, "", "")]
        elif kind == "bp-all":
            public = [f.name for f in mod.funcs.values() if not f.method and not f.name.startswith("_")]
            found = [Edit(kind, "", n) for n in public if n not in mod.exported] if mod.all_spot else []
        else:
            for fn in mod.funcs.values():
                found += _function_candidates(kind, fn)
        mod.candidates[kind] = tuple(found)
    return tuple(replace(e, path=path) for e in mod.candidates[kind])


# --------------------------------------------------------------------------- applying edits


def render(pairs: Sequence[tuple[Edit, Style]], modules: dict[str, Module]) -> Rendered:
    """All steps of several edits (each with its style) against the same base texts."""
    steps: list[Step] = []
    facts: dict[str, str] = {}
    for index, (edit, style) in enumerate(pairs):
        mod = modules[edit.path]
        result = RENDERERS[edit.kind](edit, style, mod)
        steps += [step for step in result.steps if step[1]]
        fn = mod.funcs.get(edit.target)
        local = {
            "f": fn.name if fn else edit.target,
            "p": edit.param,
            "mod": mod.name,
            "kind": edit.kind,
            **result.facts,
        }
        facts.update({f"{k}{index or ''}": v for k, v in local.items()})
    return Rendered(steps, facts)


def apply_ops(lines: Sequence[str], ops: Sequence[Op]) -> list[str]:
    out: list[str] = []
    position = 0
    for op in sorted(ops, key=lambda o: (o.start, o.end, not o.first)):
        if op.start < position:
            raise Skip("overlapping edits")
        out += lines[position : op.start]
        out += op.new
        position = op.end
    out += lines[position:]
    return out


_COMPILED: set[int] = set()


def check_python(text: str, path: str) -> None:
    """Raise Skip unless ``text`` compiles (each text is compiled once)."""
    if hash(text) in _COMPILED:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise Skip(f"edit breaks {path}: {error}") from error
    _COMPILED.add(hash(text))


def states(texts: dict[str, str], steps: Sequence[Step], cuts: Sequence[int]) -> list[dict[str, str]]:
    """The files changed by each commit, when commit k holds steps up to ``cuts[k]``; checks they compile."""
    result: list[dict[str, str]] = []
    current = dict(texts)
    for cut in cuts:
        ops = [op for _, step in steps[:cut] for op in step]
        changed: dict[str, str] = {}
        for path in sorted({op.path for op in ops}):
            text = "\n".join(apply_ops(texts[path].split("\n"), [op for op in ops if op.path == path]))
            if text != current[path]:
                check_python(text, path)
                changed[path] = current[path] = text
        if not changed:
            raise Skip("empty commit")
        result.append(changed)
    return result


def squashed(rendered: Rendered, texts: dict[str, str]) -> dict[str, str]:
    return states(texts, rendered.steps, [len(rendered.steps)])[0]


def stripped(files: dict[str, str]) -> str:
    return re.sub(r"\s+", "", "\0".join(f"{p}\0{t}" for p, t in sorted(files.items())))


def touched(ops: Sequence[Op]) -> set[tuple[str, int]]:
    """Base lines an edit touches; an insertion touches the lines on both sides of it."""
    lines: set[tuple[str, int]] = set()
    for op in ops:
        span = range(op.start, op.end) if op.end > op.start else range(op.start - 1, op.start + 1)
        lines |= {(op.path, i) for i in span}
    return lines


def main_ops(rendered: Rendered) -> list[Op]:
    return [op for _, step in rendered.steps for op in step if op.main]


# --------------------------------------------------------------------------- commits


@dataclass(frozen=True)
class Case:
    category: str  # short kebab-case name of how the pair was made
    same: bool  # True: both sides are the same change; False: different changes
    left: tuple[str, ...]  # commit ids (40-hex), oldest first; each side is a chain of commits on its own branch
    right: tuple[str, ...]


@dataclass
class Commit:
    message: str
    author: str
    files: dict[str, str]


@dataclass
class Side:
    commits: list[Commit]
    drift: Commit | None = None  # a commit between the base and the side (not part of the side)


@dataclass
class Base:
    key: str
    texts: dict[str, str]
    mark: int = 0

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(self.texts))

    def modules(self) -> dict[str, Module]:
        return {path: analyze(text, Path(path).stem) for path, text in self.texts.items()}


class Stream:
    """A `git fast-import` stream: commits with fixed dates, one a minute."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0

    def commit(self, ref: str, message: str, author: str, parent: int | None, files: dict[str, str]) -> int:
        self.mark += 1
        when = START + self.mark * 60
        data = message.encode()
        out = [
            b"commit %s\nmark :%d\n" % (ref.encode(), self.mark),
            b"author %s %d +0000\ncommitter %s %d +0000\n" % (author.encode(), when, author.encode(), when),
            b"data %d\n%s\n" % (len(data), data),
        ]
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        for path, text in sorted(files.items()):
            blob = text.encode()
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(blob), blob))
        self.parts.append(b"".join(out))
        return self.mark

    def run(self, folder: Path) -> dict[int, str]:
        """Feed the stream to git; the commit id of each mark."""
        marks = folder / ".git" / "similar-set.marks"
        stream = b"".join(self.parts) + b"done\n"
        command = ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"]
        subprocess.run(command, cwd=folder, input=stream, check=True, capture_output=True)
        ids = {}
        for line in marks.read_text().splitlines():
            mark, oid = line.split()
            ids[int(mark[1:])] = oid
        marks.unlink()
        return ids


# --------------------------------------------------------------------------- the cases


def source_files(rng: Random, count: int) -> list[Path]:
    """``count`` top-level standard library modules of 200-3000 lines, chosen by ``rng``."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    eligible = []
    for path in sorted(stdlib.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if 200 <= text.count("\n") <= 3000 and "\r" not in text and "\ufffd" not in text:
            eligible.append(path)
    return rng.sample(eligible, min(count, len(eligible)))


@dataclass
class CaseSpec:
    category: str
    same: bool
    base: Base
    left: Side
    right: Side


class Generator:
    """Draws the cases; every choice comes from one seeded random generator."""

    def __init__(self, seed: int, pool: int = 20) -> None:
        self.rng = Random(seed)
        files = source_files(self.rng, pool)
        self.singles: list[Base] = []
        for path in files:
            folder = self.rng.choice(("src", "app", "lib"))
            self.singles.append(Base(path.stem, {f"{folder}/{path.stem}.py": path.read_text(encoding="utf-8")}))
        self.pairs: list[Base] = []
        for one, two in zip(self.singles[0::2], self.singles[1::2], strict=False):
            folder = self.rng.choice(("src", "app"))
            texts = {f"{folder}/{Path(p).stem}.py": t for p, t in [*one.texts.items(), *two.texts.items()]}
            self.pairs.append(Base(f"{one.key}+{two.key}", texts))

    # ---- drawing edits

    def base(self, pair: float = 0.25) -> Base:
        return self.rng.choice(self.pairs if self.rng.random() < pair else self.singles)

    def author(self, *avoid: str) -> str:
        return self.rng.choice([a for a in AUTHORS if a not in avoid])

    def edit(self, base: Base, kinds: Sequence[str], path: str | None = None, avoid: Sequence[Edit] = ()) -> Edit:
        """A random edit of one of ``kinds``, on a target none of ``avoid`` touches."""
        modules = base.modules()
        taken = {(e.path, e.target) for e in avoid}
        used_kinds = {(e.path, e.kind) for e in avoid}
        options = list(kinds)
        self.rng.shuffle(options)
        for kind in options:
            where = path or self.rng.choice(base.paths)
            if (where, kind) in used_kinds:
                continue
            found = [e for e in candidates(modules[where], kind, where) if (e.path, e.target) not in taken]
            if found:
                return self.rng.choice(found)
        raise Skip("no candidate edit")

    def change(self, base: Base, kinds: Sequence[str] = KINDS) -> list[Edit]:
        """An original change: one edit, or two (in one file or in two)."""
        first = self.edit(base, kinds)
        if self.rng.random() < 0.6:
            return [first]
        others = [p for p in base.paths if p != first.path]
        path = others[0] if others and self.rng.random() < 0.6 else first.path
        return [first, self.edit(base, KINDS, path, [first])]

    # ---- messages

    def subject(self, kind: str, facts: dict[str, str], avoid: str = "") -> str:
        options = [t.format(**facts) for t in SUBJECTS[kind]]
        options = [o for o in options if o != avoid] or options
        return self.rng.choice(options)

    def message(self, rendered: Rendered, avoid: str = "", generic: float = 0.0) -> str:
        facts = rendered.facts
        if self.rng.random() < generic:
            subject = self.rng.choice(GENERIC_SUBJECTS).format(**facts)
        else:
            subject = self.subject(facts["kind"], facts, avoid)
        body = []
        if "kind1" in facts:
            second = {k[:-1]: v for k, v in facts.items() if k.endswith("1")}
            other = self.subject(facts["kind1"], second)
            body.append(f"Also {other[0].lower()}{other[1:]}." if self.rng.random() < 0.7 else f"{other}.")
        elif self.rng.random() < 0.35 and facts["kind"] in BODIES:
            body.append(self.rng.choice(BODIES[facts["kind"]]))
        if self.rng.random() < 0.15:
            body.append(f"Refs: #{self.rng.randrange(100, 5000)}")
        return subject + ("\n\n" + "\n\n".join(body) if body else "") + "\n"

    # ---- sides

    def single(self, base: Base, rendered: Rendered, message: str, author: str) -> Side:
        return Side([Commit(message, author, squashed(rendered, base.texts))])

    def maybe_split(self, base: Base, rendered: Rendered, message: str, author: str, chance: float) -> Side:
        """One commit, or (with ``chance``, if the change has several steps) one commit per step."""
        if len(rendered.steps) < 2 or self.rng.random() >= chance:
            return self.single(base, rendered, message, author)
        return self.split(base, rendered, author, min(len(rendered.steps), self.rng.choice((2, 3))))

    def split(self, base: Base, rendered: Rendered, author: str, parts: int) -> Side:
        cuts = [*sorted(self.rng.sample(range(1, len(rendered.steps)), parts - 1)), len(rendered.steps)]
        files = states(base.texts, rendered.steps, cuts)
        commits, start = [], 0
        for cut, changed in zip(cuts, files, strict=True):
            titles = [title for title, _ in rendered.steps[start:cut]]
            subject = titles[0] if len(titles) == 1 else f"{titles[0]}; {titles[1][0].lower()}{titles[1][1:]}"
            commits.append(Commit(subject + "\n", author, changed))
            start = cut
        return Side(commits)

    def arrange(self, category: str, same: bool, base: Base, one: Side, two: Side) -> CaseSpec:
        if self.rng.random() < 0.5:
            one, two = two, one
        return CaseSpec(category, same, base, one, two)

    # ---- positive categories

    def variant(self, category: str, style: Style) -> Style:
        if category == "retyped":
            knobs = [*self.rng.sample(VISIBLE, 2), *self.rng.sample(("blank", "wrap"), self.rng.randrange(3))]
            return mutate(style, knobs, self.rng)
        if category == "renamed-variable":
            return mutate(style, ["names"], self.rng)
        if category == "reordered-hunks":
            return mutate(style, ["placement"], self.rng)
        if category == "slightly-different":
            return mutate(style, [self.rng.choice(("message", "value", "extra"))], self.rng)
        if category == "split-vs-squashed":
            return mutate(style, [self.rng.choice(VISIBLE)], self.rng)
        return style

    def positive(self, category: str) -> CaseSpec:
        kinds = {"renamed-variable": NAMEABLE, "reordered-hunks": PLACEABLE, "slightly-different": SLIGHT}
        base = self.base()
        edits = self.change(base, kinds.get(category, KINDS))
        modules = base.modules()
        style = random_style(self.rng)
        original = render([(e, style) for e in edits], modules)
        if category == "split-vs-squashed" and len(original.steps) < 2:
            raise Skip("nothing to split")
        if category == "cherry-picked-on-drifted-base":
            return self.drifted(base, edits, style, original)
        other = render([(e, self.variant(category, style)) for e in edits], modules)
        if stripped(squashed(original, base.texts)) == stripped(squashed(other, base.texts)):
            raise Skip("the variant is the same text")
        first_author = self.author()
        message = self.message(original)
        second_author = self.author(first_author)
        if category == "split-vs-squashed":
            parts = min(len(original.steps), self.rng.choice((2, 3)))
            one = self.split(base, original, first_author, parts)
        else:
            one = self.single(base, original, message, first_author)
        two = self.single(base, other, self.message(other, message.split("\n")[0], generic=0.2), second_author)
        return self.arrange(category, True, base, one, two)

    def drifted(self, base: Base, edits: list[Edit], style: Style, original: Rendered) -> CaseSpec:
        """The same edit on a base where an unrelated commit touched the lines around it."""
        main = main_ops(original)
        anchor = self.rng.choice(main)
        mod = base.modules()[anchor.path]
        at = anchor.start
        while (
            at > 0 and at not in mod.statements and mod.lines[at].strip() and not mod.lines[at].lstrip().startswith("#")
        ):
            at -= 1
        if anchor.start - at > 2:
            raise Skip("the edit is deep inside a long statement")
        following = next((line for line in mod.lines[at:] if line.strip()), "")
        note = [f"{_indent(following)}# {self.rng.choice(DRIFT_NOTES)}"]
        ops = [insert(anchor.path, at, note)]
        drift_message = f"Add a note to {Path(anchor.path).stem}\n"
        if self.rng.random() < 0.7:
            unrelated = self.edit(base, DRIFT_KINDS, avoid=edits)
            drift_render = render([(unrelated, random_style(self.rng))], base.modules())
            ops += main_ops(drift_render)
            if touched(ops[1:]) & touched(main):
                raise Skip("the unrelated edit is too close")
            drift_message = self.subject(unrelated.kind, drift_render.facts) + "\n"
        drift_files = states(base.texts, [("drift", tuple(ops))], [1])[0]
        texts = {**base.texts, **drift_files}
        moved = render([(e, style) for e in edits], {p: analyze(t, Path(p).stem) for p, t in texts.items()})
        first_author, second_author = self.author(), self.author()
        message = self.message(original)
        drift = Commit(drift_message, self.author(second_author), drift_files)
        one = self.single(base, original, message, first_author)
        after = states(texts, moved.steps, [len(moved.steps)])[0]
        two = Side([Commit(self.message(moved, generic=0.1), second_author, after)], drift)
        return self.arrange("cherry-picked-on-drifted-base", True, base, one, two)

    # ---- negative categories

    def pair_of_changes(self, base: Base, one: list[Edit], two: list[Edit], category: str) -> CaseSpec:
        modules = base.modules()
        first = render([(e, random_style(self.rng)) for e in one], modules)
        second = render([(e, random_style(self.rng)) for e in two], modules)
        author = self.author()
        left = self.maybe_split(base, first, self.message(first), author, 0.25)
        right = self.maybe_split(base, second, self.message(second), self.author(author), 0.25)
        return self.arrange(category, False, base, left, right)

    def same_file_different_feature(self) -> CaseSpec:
        base = self.base()
        one = self.change(base)
        path = one[0].path
        kinds = [k for k in KINDS if k != one[0].kind] if self.rng.random() < 0.8 else list(KINDS)
        first = self.edit(base, kinds, path, one)
        two = [first]
        if self.rng.random() < 0.3:
            two.append(self.edit(base, KINDS, path, [*one, first]))
        return self.pair_of_changes(base, one, two, "same-file-different-feature")

    def same_lines_different_fix(self) -> CaseSpec:
        base = self.base(pair=0.0)
        path = base.paths[0]
        modules = base.modules()
        kinds = [*KINDS, "excclass"]
        one = self.edit(base, kinds, path)
        others = [
            e
            for kind in kinds
            if kind not in (one.kind, "constant")
            for e in candidates(modules[path], kind, path)
            if e.target == one.target
        ]
        self.rng.shuffle(others)
        style_one, style_two = random_style(self.rng), random_style(self.rng)
        first = render([(one, style_one)], modules)
        for two in others[:12]:
            try:
                second = render([(two, style_two)], modules)
            except Skip:
                continue
            if touched(main_ops(first)) & touched(main_ops(second)):
                return self.pair_of_changes(base, [one], [two], "same-lines-different-fix")
        raise Skip("no other fix of the same lines")

    def same_kind_elsewhere(self) -> CaseSpec:
        base = self.base(pair=0.4)
        one = self.edit(base, KINDS)
        path = self.rng.choice([p for p in base.paths if p != one.path] or [one.path])
        found = [
            e
            for e in candidates(base.modules()[path], one.kind, path)
            if e.target != one.target and (e.param != one.param or not e.param)
        ]
        if not found:
            raise Skip("no other place for this kind")
        return self.pair_of_changes(base, [one], [self.rng.choice(found)], "same-kind-elsewhere")

    def same_message_different_code(self) -> CaseSpec:
        base = self.base(pair=0.4)
        one = self.edit(base, KINDS)
        kinds = [k for k in KINDS if k != one.kind] if self.rng.random() < 0.6 else list(KINDS)
        two = self.edit(base, kinds, avoid=[replace(one, kind="")])
        modules = base.modules()
        first = render([(one, random_style(self.rng))], modules)
        second = render([(two, random_style(self.rng))], modules)
        template = self.rng.choice(SAME_SUBJECTS)
        subject = template.format(mod=first.facts["mod"])
        subjects = [subject, subject if self.rng.random() < 0.6 else template.format(mod=second.facts["mod"]).lower()]
        if self.rng.random() < 0.3:
            subjects[1] = f"{second.facts['mod']}: {subjects[1][0].lower()}{subjects[1][1:]}"
        author = self.author()
        left = self.single(base, first, subjects[0] + "\n", author)
        right = self.single(base, second, subjects[1] + "\n", self.author(author))
        return self.arrange("same-message-different-code", False, base, left, right)

    def shared_boilerplate(self) -> CaseSpec:
        base = self.base(pair=0.0)
        path = base.paths[0]
        modules = base.modules()
        kinds = ["bp-logging", "bp-future", "bp-deprecation", "bp-all"]
        self.rng.shuffle(kinds)
        usable = [k for k in kinds if len(candidates(modules[path], k, path)) >= (2 if k in PER_FUNCTION else 1)]
        if not usable:
            raise Skip("no boilerplate fits this file")
        kind = usable[0]
        plates = list(candidates(modules[path], kind, path))
        plates = self.rng.sample(plates, 2) if kind in PER_FUNCTION else [plates[0], plates[0]]
        logic_kinds = [k for k in KINDS if not (kind == "bp-logging" and k == "logging")]
        one = self.edit(base, logic_kinds, path, plates)
        two = self.edit(base, [k for k in logic_kinds if k != one.kind], path, [*plates, one])
        plate_style = random_style(self.rng)
        sides = []
        author = ""
        for plate, logic in ((plates[0], one), (plates[1], two)):
            rendered = render([(logic, random_style(self.rng)), (plate, plate_style)], modules)
            author = self.author(author)
            sides.append(self.maybe_split(base, rendered, self.message(rendered), author, 0.2))
        return self.arrange("shared-boilerplate", False, base, sides[0], sides[1])

    def case(self, category: str) -> CaseSpec:
        """One case of ``category``; draws again until the edits fit the file."""
        draw: Callable[[], CaseSpec] = {
            "same-file-different-feature": self.same_file_different_feature,
            "same-lines-different-fix": self.same_lines_different_fix,
            "same-kind-elsewhere": self.same_kind_elsewhere,
            "same-message-different-code": self.same_message_different_code,
            "shared-boilerplate": self.shared_boilerplate,
        }.get(category, lambda: self.positive(category))
        for _ in range(500):
            try:
                return draw()
            except Skip:
                continue
        raise RuntimeError(f"could not draw a case of {category}")


def _emit(stream: Stream, spec: CaseSpec, number: int, root: int) -> tuple[list[int], list[int]]:
    base = spec.base
    if not base.mark:
        subject = f"Import {', '.join(Path(p).name for p in base.paths)}"
        base.mark = stream.commit(f"refs/heads/base/{base.key}", subject + "\n", AUTHORS[0], root, base.texts)
    marks: list[list[int]] = []
    for name, side in (("left", spec.left), ("right", spec.right)):
        ref = f"refs/heads/cases/{number:03d}-{spec.category}/{name}"
        parent = base.mark
        if side.drift is not None:
            parent = stream.commit(ref, side.drift.message, side.drift.author, parent, side.drift.files)
        chain = []
        for commit in side.commits:
            parent = stream.commit(ref, commit.message, commit.author, parent, commit.files)
            chain.append(parent)
        marks.append(chain)
    return marks[0], marks[1]


README = """# forkflow similar-set

Pairs of changes to real code, labelled as the same change or not; see
benchmarks/similar_set.py.  Each case is two branches, refs/heads/cases/NNN-category/{left,right}.
"""


def build_labelled_set(folder: Path, *, seed: int = 1, per_category: int = 40) -> list[Case]:
    """Create a git repository at `folder` (must not exist or be empty) and the labelled cases in it."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    generator = Generator(seed)
    stream = Stream()
    root = stream.commit("refs/heads/main", "Initial commit\n", AUTHORS[0], None, {"README.md": README})
    specs: list[tuple[CaseSpec, list[int], list[int]]] = []
    for category in CATEGORIES:
        for _ in range(per_category):
            spec = generator.case(category)
            left, right = _emit(stream, spec, len(specs) + 1, root)
            specs.append((spec, left, right))
    ids = stream.run(folder)
    return [
        Case(spec.category, spec.same, tuple(ids[m] for m in left), tuple(ids[m] for m in right))
        for spec, left, right in specs
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="new repository (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-category", type=int, default=40)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="similar-set-")) / "repo"
    start = time.perf_counter()
    cases = build_labelled_set(out, seed=args.seed, per_category=args.per_category)
    elapsed = time.perf_counter() - start
    for category in CATEGORIES:
        mine = [c for c in cases if c.category == category]
        label = "same" if mine and mine[0].same else "different"
        commits = sum(len(c.left) + len(c.right) for c in mine)
        print(f"{category:32} {len(mine):4d} cases  {label:9}  {commits:5d} commits")
    print(f"{len(cases)} cases in {out} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
