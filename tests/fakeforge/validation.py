"""Checking a fake's JSON answers against JSON Schema: path templates, formats, error lists."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, FormatChecker


def template_regex(template: str, greedy: frozenset[str] = frozenset()) -> re.Pattern[str]:
    """`/repos/{owner}/{repo}/git/ref/{ref}` -> a regex with one named group per parameter.

    Parameters named in `greedy` may contain slashes.
    """
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            group = ".+" if name in greedy else "[^/]+"
            pattern += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{group})"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")


def specificity(template: str) -> tuple[int, str]:
    """Sort key: the more literal characters, the earlier a template is tried."""
    return (-len(re.sub(r"\{[^}]+\}", "", template)), template)


def _check_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _check_date_time(value: object) -> bool:
    """RFC 3339 date-time, checked here so that no optional validator package is needed."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        return False
    return True


def format_checker() -> FormatChecker:
    """Draft 7's format checker, with `uri` and `date-time` checked without optional packages."""
    checker = copy.deepcopy(Draft7Validator.FORMAT_CHECKER)
    checker.checks("uri")(_check_uri)
    checker.checks("date-time")(_check_date_time)
    return checker


def json_body_problems(validator: Draft7Validator, body: bytes, content_type: str | None) -> Iterator[str]:
    """What is wrong with a JSON body (its media type, its syntax, its schema): at most five errors."""
    media = (content_type or "").split(";")[0].strip()
    if media != "application/json":
        yield f"Content-Type is {content_type!r}, not application/json"
        return
    try:
        instance = json.loads(body)
    except ValueError as error:
        yield f"the body is not JSON: {error}"
        return
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    for problem in errors[:5]:
        where = "/".join(str(p) for p in problem.absolute_path) or "(body)"
        yield f"at {where}: {shorten(problem.message)}"
    if len(errors) > 5:
        yield f"... and {len(errors) - 5} more errors"


def shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
