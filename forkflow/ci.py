"""Which CI runs the bot, and what it was woken for, from the CI's own environment variables.

- GitHub Actions (``GITHUB_ACTIONS``, or ``GITHUB_EVENT_NAME``): the event's name and payload
  (``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``), the run's id (``GITHUB_RUN_ID``);
- GitLab CI (``GITLAB_CI``): ``CI_PIPELINE_SOURCE`` says what started the pipeline:
  ``schedule`` (a pipeline schedule) is the scheduled run, and so are ``web``, ``api``,
  ``trigger``, ``pipeline`` and ``parent_pipeline`` (started by hand or by another pipeline),
  ``push`` is a push; ``merge_request_event`` is a merge request's pipeline, checked like a pull
  request from its ``CI_MERGE_REQUEST_*`` variables; the run's id is ``CI_PIPELINE_ID``;
- Jenkins (``JENKINS_URL``): a pipeline's environment does not say what started the build
  (``BUILD_CAUSE`` is not set in Pipeline jobs); the Jenkinsfile runs the bot only for a cron
  build or a build started by hand (``when { triggeredBy ... }``), so every build is the
  scheduled run, except a multibranch change request (``CHANGE_ID``), which is refused; the
  run's id is ``BUILD_TAG`` (``jenkins-JOB-NUMBER``, unique per build);
- anything else (generic): the scheduled run, the run's id from ``FORKFLOW_RUN_ID``.

``--ci`` (``FORKFLOW_CI``) overrides the detection, and ``--event`` (``FORKFLOW_EVENT``) the event.
Everything here comes from outside: a variable that is not what its CI sets is an
:class:`~forkflow.errors.EventError` that names it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from forkflow.errors import EventError


class CiKind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    JENKINS = "jenkins"
    GENERIC = "generic"


GITLAB_SOURCES = {
    "schedule": "schedule",
    "push": "push",
    "web": "workflow_dispatch",
    "api": "workflow_dispatch",
    "trigger": "workflow_dispatch",
    "pipeline": "workflow_dispatch",
    "parent_pipeline": "workflow_dispatch",
    "merge_request_event": "pull_request",
}
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class CiRun:
    """What the bot is to do: the CI, the event (GitHub's names), its payload and the run's id."""

    kind: CiKind
    event_name: str
    event: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None


def detect_ci(environ: Mapping[str, str]) -> CiKind:
    """The CI whose variables are set; generic when none is."""
    if environ.get("GITHUB_ACTIONS") == "true" or environ.get("GITHUB_EVENT_NAME"):
        return CiKind.GITHUB
    if environ.get("GITLAB_CI") == "true":
        return CiKind.GITLAB
    if environ.get("JENKINS_URL"):
        return CiKind.JENKINS
    return CiKind.GENERIC


def ci_run(kind: CiKind, environ: Mapping[str, str], *, event_name: str | None = None) -> CiRun:
    """The run ``kind``'s variables describe; ``event_name`` (``--event``) replaces the CI's own."""
    if kind is CiKind.GITHUB:
        name = event_name or environ.get("GITHUB_EVENT_NAME") or "workflow_dispatch"
        return CiRun(kind, name, read_event(environ.get("GITHUB_EVENT_PATH")), environ.get("GITHUB_RUN_ID"))
    if kind is CiKind.GITLAB:
        return _gitlab(environ, event_name)
    if kind is CiKind.JENKINS:
        if environ.get("CHANGE_ID") and event_name is None:
            raise EventError(
                f"CHANGE_ID {environ['CHANGE_ID']!r}: forkflow bot does not check Jenkins change requests "
                "(run it on a cron or manual build; pull requests are checked by GitHub Actions or GitLab CI)"
            )
        return CiRun(kind, event_name or "schedule", {}, environ.get("BUILD_TAG") or None)
    return CiRun(kind, event_name or "schedule", {}, environ.get("FORKFLOW_RUN_ID") or None)


def _gitlab(environ: Mapping[str, str], event_name: str | None) -> CiRun:
    run_id = environ.get("CI_PIPELINE_ID") or None
    if event_name is not None:
        return CiRun(CiKind.GITLAB, event_name, {}, run_id)
    source = environ.get("CI_PIPELINE_SOURCE", "")
    if source not in GITLAB_SOURCES:
        known = ", ".join(GITLAB_SOURCES)
        raise EventError(f"CI_PIPELINE_SOURCE {source!r}: forkflow bot does not act on it (it knows: {known})")
    name = GITLAB_SOURCES[source]
    event = merge_request_event(environ) if name == "pull_request" else {}
    return CiRun(CiKind.GITLAB, name, event, run_id)


def merge_request_event(environ: Mapping[str, str]) -> dict[str, Any]:
    """A merge request pipeline's variables, in the shape of GitHub's pull_request event."""

    def variable(name: str, pattern: re.Pattern[str] | None = None) -> str:
        value = environ.get(name, "")
        if not value or (pattern is not None and not pattern.match(value)):
            raise EventError(f"{name} {value!r}: not what GitLab sets for a merge request pipeline")
        return value

    iid = variable("CI_MERGE_REQUEST_IID", re.compile(r"^[0-9]{1,12}$"))
    return {
        "pull_request": {
            "number": int(iid),
            "head": {"sha": variable("CI_COMMIT_SHA", _SHA), "ref": variable("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")},
            "base": {
                "sha": variable("CI_MERGE_REQUEST_DIFF_BASE_SHA", _SHA),
                "ref": variable("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            },
        },
        "repository": {"full_name": variable("CI_MERGE_REQUEST_PROJECT_PATH")},
    }


def read_event(path: str | None) -> dict[str, Any]:
    """GitHub's event payload (``GITHUB_EVENT_PATH``); empty when there is none."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise EventError(f"GITHUB_EVENT_PATH {path}: cannot be read as JSON ({err})") from err
    return data if isinstance(data, dict) else {}
