"""Checking the fake's answers against GitLab's API description.

Two sources, one check:
- `tests/data/gitlab-api/openapi-subset.json`: the operations and `definitions` copied from
  GitLab's own description (Swagger 2.0, `doc/api/openapi/openapi_v2.yaml` in gitlabhq/gitlabhq);
- `tests/data/gitlab-api/local-schemas.json`: the operations that description lacks, written from
  GitLab's REST documentation (see `tests/fakegitlab/README.md` for which and why), as Swagger 2.0
  too, with the fields forkflow reads `required`.

Every answer of an operation is validated against the schema of its status; an error status an
operation does not document is accepted if its body is GitLab's `{"message"}`/`{"error"}` shape.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tests.fakeforge.validation import format_checker, json_body_problems, specificity, template_regex

DATA = Path(__file__).resolve().parent.parent / "data" / "gitlab-api"
SUBSET_PATH = DATA / "openapi-subset.json"
LOCAL_PATH = DATA / "local-schemas.json"
BASE_URI = "urn:fakegitlab:swagger"
PREFIX = "/api/v4"
GREEDY = frozenset({"branch"})
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "anyOf": [{"required": ["message"]}, {"required": ["error"]}],
    "properties": {"message": {}, "error": {"type": "string"}},
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # without /api/v4
    responses: dict[str, Any]
    source: str  # "gitlab" (GitLab's description) or "local" (from the REST documentation)

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _absolute(node: Any) -> Any:
    if isinstance(node, list):
        return [_absolute(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _absolute(value) for key, value in node.items()}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#"):
        out["$ref"] = BASE_URI + out["$ref"]
    if out.pop("x-nullable", False) is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


class SwaggerSpec:
    """GitLab's description (subset) plus the local schemas, ready to validate answers."""

    def __init__(self, subset: dict[str, Any], local: dict[str, Any]):
        definitions = {**subset.get("definitions", {}), **local.get("definitions", {})}
        self.document = _absolute({"definitions": definitions})
        self.registry: Registry[Any] = Registry().with_resource(BASE_URI, DRAFT7.create_resource(self.document))
        self.checker = format_checker()
        self.operations: dict[tuple[str, str], Operation] = {}
        for source, document in (("gitlab", subset), ("local", local)):
            for template, item in document.get("paths", {}).items():
                for method, operation in item.items():
                    short = template.removeprefix(PREFIX)
                    responses = _absolute(operation.get("responses", {}))
                    self.operations[(method.lower(), short)] = Operation(method.lower(), short, responses, source)
        templates = sorted({template for _, template in self.operations}, key=specificity)
        self._matchers = [(template_regex(t, GREEDY), t) for t in templates]
        self._validators: dict[int, Draft7Validator] = {}

    def operation(self, method: str, template: str) -> Operation | None:
        return self.operations.get((method.lower(), template))

    def match(self, method: str, path: str) -> Operation | None:
        for regex, template in self._matchers:
            if regex.match(path) and (op := self.operation(method, template)):
                return op
        return None

    def _validator(self, schema: dict[str, Any]) -> Draft7Validator:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = Draft7Validator(schema, registry=self.registry, format_checker=self.checker)
        return self._validators[key]

    def validate_response(
        self, operation: Operation | None, status: int, body: bytes, content_type: str | None
    ) -> list[str]:
        """Problems with one answer (empty when it agrees with the description)."""
        if operation is None:
            return [] if status >= 400 else [f"status {status} answers a request no operation describes"]
        response = operation.responses.get(str(status))
        if response is None:
            if status >= 400:
                if not body:
                    return []
                return list(json_body_problems(self._validator(ERROR_SCHEMA), body, content_type))
            return [f"status {status} is not documented for {operation.name}"]
        schema = response.get("schema")
        if schema is None:
            return [] if not body else [f"status {status} documents no body, but the answer has {len(body)} bytes"]
        return list(json_body_problems(self._validator(schema), body, content_type))


@functools.cache
def load_spec(subset_path: Path = SUBSET_PATH, local_path: Path = LOCAL_PATH) -> SwaggerSpec:
    """The description, parsed once per process."""
    subset = json.loads(subset_path.read_text(encoding="utf-8")) if subset_path.exists() else {}
    return SwaggerSpec(subset, json.loads(local_path.read_text(encoding="utf-8")))
