"""Checking the fake's responses against GitHub's published OpenAPI description.

The description is OpenAPI 3.0.3; its schemas are JSON Schema with a few differences, of
which only `nullable: true` changes what validates. We turn it into "or null" once, rewrite
every local `$ref` to an absolute one, and validate each response body with `jsonschema`
(Draft 7, which like OpenAPI 3.0 ignores the siblings of a `$ref`), formats included.

A few operations the fake serves (because github3.py calls them) are not in the subset;
they are described in `EXTRA_OPERATIONS` with the subset's own component schemas, so their
responses are checked the same way.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tests.fakeforge.validation import format_checker, json_body_problems
from tests.fakeforge.validation import template_regex as shared_template_regex

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "github-api" / "openapi-subset.json"
BASE_URI = "urn:fakegithub:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Path parameters whose values may contain slashes (branch names, refs, "base...head").
GREEDY_PARAMETERS = frozenset({"ref", "branch", "basehead", "sha"})


def _component(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "", "content": {"application/json": {"schema": schema}}}


_BASIC_ERROR = _json_response(_component("basic-error"))
_VALIDATION_ERROR = _json_response(_component("validation-error"))

# Operations github3.py uses that the subset lacks, described with the subset's components.
EXTRA_OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/repos/{owner}/{repo}/issues": {
        "get": {
            "responses": {
                "200": _json_response({"type": "array", "items": _component("issue")}),
                "301": _BASIC_ERROR,
                "404": _BASIC_ERROR,
                "422": _VALIDATION_ERROR,
            }
        },
        "post": {
            "responses": {
                "201": _json_response(_component("issue")),
                "400": _BASIC_ERROR,
                "403": _BASIC_ERROR,
                "404": _BASIC_ERROR,
                "410": _BASIC_ERROR,
                "422": _VALIDATION_ERROR,
                "503": {"$ref": "#/components/responses/service_unavailable"},  # GitHub's: code, message, docs
            }
        },
    },
    "/repos/{owner}/{repo}/git/refs": {
        "get": {"responses": {"200": _json_response({"type": "array", "items": _component("git-ref")})}},
    },
    "/repos/{owner}/{repo}/git/refs/{ref}": {
        # GitHub's legacy behaviour: an exact name gives the reference, a prefix the list.
        "get": {
            "responses": {
                "200": _json_response(
                    {"oneOf": [_component("git-ref"), {"type": "array", "items": _component("git-ref")}]}
                ),
                "404": _BASIC_ERROR,
            }
        },
    },
    "/repos/{owner}/{repo}/pulls/{pull_number}/merge": {
        # "Check if a pull request has been merged": 204 if merged, else 404; neither has a body.
        "get": {"responses": {"204": {"description": ""}, "404": {"description": ""}}},
    },
    "/repos/{owner}/{repo}/issues/{issue_number}": {
        "patch": {
            "responses": {
                "200": _json_response(_component("issue")),
                "403": _BASIC_ERROR,
                "404": _BASIC_ERROR,
                "410": _BASIC_ERROR,
                "422": _VALIDATION_ERROR,
            }
        },
    },
    "/repos/{owner}/{repo}/issues/{issue_number}/labels": {
        "get": {
            "responses": {
                "200": _json_response({"type": "array", "items": _component("label")}),
                "404": _BASIC_ERROR,
                "410": _BASIC_ERROR,
            }
        },
    },
}
# Any request the fake does not route: GitHub answers 404 with its basic error.
UNROUTED_RESPONSES: dict[str, Any] = {"404": _BASIC_ERROR}


def _transform(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes "or null", `$ref`s become absolute."""
    if isinstance(node, list):
        return [_transform(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _transform(value) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        out["$ref"] = BASE_URI + ref
    if out.pop("nullable", False) is True:
        out = _or_null(out)
    return out


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    composed = any(key in schema for key in ("$ref", "allOf", "anyOf", "oneOf"))
    if "type" in schema and not composed:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*types, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def template_regex(template: str) -> re.Pattern[str]:
    """`/repos/{owner}/{repo}/git/ref/{ref}` -> a regex with one named group per parameter."""
    return shared_template_regex(template, GREEDY_PARAMETERS)


@dataclass(frozen=True)
class Operation:
    """One operation of the description: its method, path template and responses."""

    method: str
    template: str
    responses: dict[str, Any]
    extra: bool = False

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"


class OpenAPISpec:
    """The OpenAPI description, ready to validate responses."""

    def __init__(self, document: dict[str, Any]):
        self.document = _transform(document)
        self.registry: Registry[Any] = Registry().with_resource(BASE_URI, DRAFT7.create_resource(self.document))
        self.format_checker = format_checker()
        self.operations: dict[tuple[str, str], Operation] = {}
        for template, item in self.document["paths"].items():
            self._add_path(template, item, extra=False)
        for template, item in _transform(EXTRA_OPERATIONS).items():
            self._add_path(template, item, extra=True)
        self.unrouted: dict[str, Any] = _transform(UNROUTED_RESPONSES)
        self._matchers = [(template_regex(template), template) for template in self.templates()]
        self._validators: dict[int, Draft7Validator] = {}

    def _add_path(self, template: str, item: dict[str, Any], *, extra: bool) -> None:
        for method in METHODS:
            if method in item:
                responses = self._resolve(item[method].get("responses", {}))
                self.operations[(method, template)] = Operation(method, template, responses, extra)

    def _resolve(self, responses: dict[str, Any]) -> dict[str, Any]:
        """Responses given as `$ref: #/components/responses/...` -> the response itself."""
        return {str(status): self._deref(response) for status, response in responses.items()}

    def _deref(self, response: Any) -> Any:
        ref = response.get("$ref", "") if isinstance(response, dict) else ""
        if ref.startswith(BASE_URI + "#/components/responses/"):
            return self.document["components"]["responses"][ref.rsplit("/", 1)[1]]
        return response

    def templates(self) -> list[str]:
        """Every path template, the more specific (more literal characters) first."""
        templates = {template for _, template in self.operations}
        return sorted(templates, key=lambda t: (-len(re.sub(r"\{[^}]+\}", "", t)), t))

    def operation(self, method: str, template: str) -> Operation | None:
        return self.operations.get((method.lower(), template))

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request path belongs to, if the description has one."""
        for regex, template in self._matchers:
            if regex.match(path) and (op := self.operation(method, template)):
                return op
        return None

    def validator(self, schema: dict[str, Any]) -> Draft7Validator:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = Draft7Validator(schema, registry=self.registry, format_checker=self.format_checker)
        return self._validators[key]

    def validate_response(
        self, operation: Operation | None, status: int, body: bytes, content_type: str | None
    ) -> list[str]:
        """Problems with one response (empty when it agrees with the description).

        An error status (4xx, 5xx) the operation does not document is not a problem: GitHub's
        description leaves out 401, 429 and friends that every operation can answer.
        """
        responses = operation.responses if operation else self.unrouted
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            return [] if status >= 400 else [f"status {status} is not documented"]
        content = response.get("content") or {}
        if not content:
            return [] if not body else [f"status {status} documents no body, but the response has {len(body)} bytes"]
        return list(self._check_body(content, body, content_type))

    def _check_body(self, content: dict[str, Any], body: bytes, content_type: str | None) -> Iterator[str]:
        if "application/json" not in content:
            yield f"no application/json body is documented (documented: {sorted(content)})"
            return
        validator = self.validator(content["application/json"].get("schema", {}))
        yield from json_body_problems(validator, body, content_type)


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> OpenAPISpec:
    """The description at `path`, parsed and transformed once per process."""
    return OpenAPISpec(json.loads(path.read_text(encoding="utf-8")))
