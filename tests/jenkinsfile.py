"""A parser of Jenkins' declarative pipeline syntax, enough for forkflow's example Jenkinsfile.

Jenkins' own declarative linter runs inside a Jenkins server (``jenkins-cli declarative-linter``
or the ``pipeline-model-converter/validate`` endpoint), and neither Jenkins nor its pipeline
plugins can be installed here, so the example is parsed by this instead: the Groovy subset
declarative pipelines are written in, as a tree of sections and steps.

    file       := statement*
    statement  := NAME '=' value                              (in environment: a variable)
                | NAME [ '(' args ')' | args ] [ block ]      (bare args end at the line's end)
    block      := '{' statement* '}'
    args       := [ item ( ',' item )* ]
    item       := NAME ':' value | value
    value      := STRING | NUMBER | true | false | NAME [ '(' args ')' ] | '[' args ']'

Strings keep their quote (``'``, ``"``, ``'''``, ``\"\"\"``): a single-quoted string is never
interpolated by Groovy, which is what keeps a secret out of a command line.  Anything outside the
grammar (an unclosed brace or string, a stray token) raises :class:`JenkinsfileError` with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/)
      |(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      |(?P<number>\d+(?:\.\d+)?)
      |(?P<name>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)
      |(?P<punct>[{}()\[\],:=])
      |(?P<newline>\n)
      |(?P<space>[ \t\r]+)""",
    re.S | re.X,
)


class JenkinsfileError(ValueError):
    pass


@dataclass(frozen=True)
class Str:
    value: str
    quote: str


@dataclass
class Call:
    """A step or a section: its name, positional and named arguments, and its block (or None)."""

    name: str
    args: list[Any] = field(default_factory=list)
    named: dict[str, Any] = field(default_factory=dict)
    block: list[Call] | None = None
    line: int = 0
    assign: bool = False  # NAME = value

    def get(self, name: str) -> Call:
        found = self.all(name)
        if len(found) != 1:
            raise JenkinsfileError(f"line {self.line}: {self.name} has {len(found)} {name!r}, not one")
        return found[0]

    def all(self, name: str) -> list[Call]:
        return [c for c in self.block or [] if c.name == name]

    def walk(self) -> list[Call]:
        out = [self]
        for child in self.block or []:
            out += child.walk()
        for value in [*self.args, *self.named.values()]:
            out += _calls_in(value)
        return out


def _calls_in(value: Any) -> list[Call]:
    if isinstance(value, Call):
        return value.walk()
    if isinstance(value, list):
        return [c for v in value for c in _calls_in(v)]
    return []


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int


def tokenize(text: str) -> list[Token]:
    tokens, position, line = [], 0, 1
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise JenkinsfileError(f"line {line}: unexpected {text[position]!r}")
        kind = match.lastgroup or ""
        if kind not in ("comment", "space"):
            tokens.append(Token(kind, match.group(), line))
        line += match.group().count("\n")
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self, skip_newlines: bool = False) -> Token | None:
        while skip_newlines and self.at < len(self.tokens) and self.tokens[self.at].kind == "newline":
            self.at += 1
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, text: str | None = None, kind: str | None = None) -> Token:
        token = self.peek()
        if token is None or (text is not None and token.text != text) or (kind is not None and token.kind != kind):
            where = f"line {token.line}: {token.text!r}" if token else "the end of the file"
            raise JenkinsfileError(f"{where}: expected {text or kind}")
        self.at += 1
        return token

    def statements(self, closing: str | None) -> list[Call]:
        out = []
        while (token := self.peek(skip_newlines=True)) is not None and token.text != closing:
            out.append(self.statement())
        if closing is not None:
            self.take(closing)
        return out

    def statement(self) -> Call:
        name = self.take(kind="name")
        call = Call(name.text, line=name.line)
        token = self.peek()
        if token is not None and token.text == "=":
            self.take("=")
            call.args, call.assign = [self.value()], True
            return call
        if token is not None and token.text == "(":
            self.take("(")
            call.args, call.named = self.args(")")
            self.take(")")
        elif token is not None and token.kind != "newline" and token.text not in ("{", "}"):
            call.args, call.named = self.args(None)
        token = self.peek()
        if token is not None and token.text == "{":
            self.take("{")
            call.block = self.statements("}")
        return call

    def args(self, closing: str | None) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        named: dict[str, Any] = {}
        while (token := self.peek(skip_newlines=closing is not None)) is not None:
            if token.text == closing or (closing is None and (token.kind == "newline" or token.text in ("{", "}"))):
                break
            if token.kind == "name" and self.at + 1 < len(self.tokens) and self.tokens[self.at + 1].text == ":":
                self.take()
                self.take(":")
                named[token.text] = self.value()
            else:
                args.append(self.value())
            after = self.peek(skip_newlines=closing is not None)
            if after is None or after.text != ",":
                break
            self.take(",")
        return args, named

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            quote = token.text[:3] if token.text[:3] in ("'''", '"""') else token.text[0]
            return Str(token.text[len(quote) : -len(quote)], quote)
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.text in ("true", "false"):
            return token.text == "true"
        if token.text == "[":
            items, named = self.args("]")
            self.take("]")
            return named or items
        if token.kind == "name":
            call = Call(token.text, line=token.line)
            if (after := self.peek()) is not None and after.text == "(":
                self.take("(")
                call.args, call.named = self.args(")")
                self.take(")")
            return call
        raise JenkinsfileError(f"line {token.line}: unexpected {token.text!r}")


def parse_jenkinsfile(text: str) -> list[Call]:
    """The file's top-level statements (a declarative Jenkinsfile has one: ``pipeline``)."""
    return _Parser(tokenize(text)).statements(None)
