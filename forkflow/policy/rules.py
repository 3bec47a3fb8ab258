"""Policies: the robot's rules, read from ``policies/*.toml`` (shipped) or a file of the user's.

Parsing is strict: an unknown key is an error, and every problem is one line naming the
file and the dotted field (:class:`~forkflow.errors.PolicyError`).
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from forkflow.errors import PolicyError
from forkflow.shipped import shipped_dirs

POLICY_SUFFIX = ".toml"


class BubbleUp(BaseModel):
    """When a shared change is proposed to the parent, and how many proposals a run opens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_nodes: int = Field(2, ge=2, description="propose a change once this many nodes carry it")
    min_share: float = Field(
        0.5, ge=0.0, le=1.0, description="or once this share of the target's children carry it (0: off)"
    )
    max_proposals: int = Field(10, ge=0, description="new proposals per run, biggest impact first")


class Dashboard(BaseModel):
    """The bot's dashboard issue in central's repository."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="keep the dashboard up to date and carry out the boxes ticked on it")


class Similarity(BaseModel):
    """How similar two changes must be to count as the same change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(
        0.15,
        gt=0.0,
        le=1.0,
        description="how far above the network's noise (0..1) two changes' similarity must stand to be one change",
    )
    messages: bool = Field(True, description="commit messages decide for changes just under the threshold")


class SyncMode(StrEnum):
    FAST_FORWARD = "fast-forward"
    PULL_REQUEST = "pull-request"
    NONE = "none"


class TierRules(BaseModel):
    """How the parent's updates reach nodes of one tier, and what they may change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sync: SyncMode = Field(description="fast-forward, pull-request or none")
    local_changes: bool = Field(description="whether nodes of this tier may carry changes of their own")
    force_reset: bool = Field(
        False, description="whether `forkflow sync --force` may reset such a node (its old head is kept as a backup)"
    )


class Tiers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    central: TierRules = TierRules(sync=SyncMode.FAST_FORWARD, local_changes=False, force_reset=True)
    decentralized: TierRules = TierRules(sync=SyncMode.PULL_REQUEST, local_changes=True)
    developer: TierRules = TierRules(sync=SyncMode.NONE, local_changes=True)

    def of(self, tier: str) -> TierRules:
        rules: TierRules = getattr(self, tier)
        return rules


class Divergence(BaseModel):
    """How far a node may drift from its parent (0: no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_behind: int = Field(200, ge=0, description="commits the parent has that the node lacks (0: no limit)")
    max_age_days: int = Field(
        730, ge=0, description="days a node that is behind has lagged, since its merge base (0: no limit)"
    )


class SecurityDays(BaseModel):
    """Days a node of each tier may lack a published security fix (0: no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    central: int = Field(7, ge=0, description="days a central-tier node may lack a published fix (0: no limit)")
    decentralized: int = Field(14, ge=0, description="days a decentralized node may lack a published fix (0: no limit)")
    developer: int = Field(30, ge=0, description="days a developer-tier node may lack a published fix (0: no limit)")

    def of(self, tier: str) -> int:
        days: int = getattr(self, tier)
        return days


class Security(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_days: SecurityDays = SecurityDays()
    central: Literal["propose", "fast-forward"] = Field(
        "propose",
        description="a central-tier node that lacks a fix: a backport proposal to review, or fast-forwarded "
        "to the backport (the fix cherry-picked onto its head) with no review",
    )
    advisories: bool = Field(True, description="also take the fixes central's repository publishes as advisories")


class Checks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: tuple[str, ...] = Field((), description="status checks a proposal needs before it is merged")


OVERRIDABLE = ("divergence.max_behind", "divergence.max_age_days", "bubble_up.min_nodes", "similarity.threshold")


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed: tuple[str, ...] = Field(
        ("divergence.max_behind", "divergence.max_age_days"),
        description=f"keys a node may set in the manifest; any of {OVERRIDABLE}",
    )

    @field_validator("allowed")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [key for key in value if key not in OVERRIDABLE]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} cannot be overridden; choose among {', '.join(OVERRIDABLE)}")
        return value


class Policy(BaseModel):
    """One policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: Tiers = Tiers()
    divergence: Divergence = Divergence()
    checks: Checks = Checks()
    security: Security = Security()
    overrides: Overrides = Overrides()
    protected_paths: tuple[str, ...] = Field(
        (".github/workflows/**", "forkflow.toml", "policies/**"), description="globs of paths only central may change"
    )
    local_paths: tuple[str, ...] = Field(
        ("config/branding.*", "config/site.*", "**/*.local.*"),
        description="globs of paths meant to stay local (branding, site configuration): changes there are not needs",
    )
    bubble_up: BubbleUp = BubbleUp()
    similarity: Similarity = Similarity()
    dashboard: Dashboard = Dashboard()
    source: str = Field("<built-in>", exclude=True, description="where the policy was read from")

    def protected(self, paths: list[str] | tuple[str, ...]) -> list[str]:
        """The paths among ``paths`` that a protected glob matches."""
        return _matching(self.protected_paths, paths)

    def protecting(self, paths: list[str] | tuple[str, ...]) -> list[str]:
        """The protected globs that match one of ``paths`` (the policy lines a change runs into)."""
        return [glob for glob in self.protected_paths if _matching((glob,), paths)]

    def local(self, paths: list[str] | tuple[str, ...]) -> list[str]:
        """The paths among ``paths`` that a local glob matches."""
        return _matching(self.local_paths, paths)

    def for_node(self, overrides: dict[str, Any], where: str) -> Policy:
        """The policy for one node: the manifest's ``policy`` table of the node, where this policy allows it.

        ``where`` names the node in errors (``forkflow.toml: node 'x'``).
        """
        if not overrides:
            return self
        data = self.model_dump()
        for key, value in overrides.items():
            if key not in self.overrides.allowed:
                allowed = ", ".join(self.overrides.allowed) or "nothing"
                raise PolicyError(
                    f"{where}: field 'policy.{key}': the policy ({self.source}) does not let a node override it "
                    f"(it allows: {allowed})"
                )
            section, name = key.split(".")
            data[section][name] = value
        try:
            return Policy.model_validate({**data, "source": f"{self.source} + {where}"})
        except ValidationError as err:
            first = err.errors()[0]
            raise PolicyError(f"{where}: field 'policy.{_dotted(first['loc'])}': {_plain(first)}") from err


def _matching(globs: tuple[str, ...], paths: list[str] | tuple[str, ...]) -> list[str]:
    if not globs:
        return []
    either = _either(globs)
    return [path for path in paths if either.fullmatch(path)]


@lru_cache(maxsize=256)  # globs come from policy files and manifests: bounded
def _either(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One expression for all the globs (a scan asks it of every carried commit's paths)."""
    return re.compile("|".join(f"(?:{_glob(pattern).pattern})" for pattern in globs))


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression: ``*`` and ``?`` stay inside one folder, ``**`` crosses folders."""
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        else:
            char = pattern[index]
            out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            index += 1
    return re.compile("".join(out))


def policy_dirs() -> list[Path]:
    """Where shipped policies live: inside the installed package, or beside it in a checkout."""
    return [folder for folder in shipped_dirs("policies") if folder.is_dir()]


def shipped_policies() -> dict[str, Path]:
    """The shipped policies by name (``default``, ...)."""
    found: dict[str, Path] = {}
    for folder in reversed(policy_dirs()):
        found.update({path.stem: path for path in sorted(folder.glob(f"*{POLICY_SUFFIX}"))})
    return found


def find_policy(name: str, base: Path | None = None) -> Path:
    """A policy named in the manifest: a shipped name, or a path (relative to ``base``)."""
    if "/" not in name and not name.endswith(POLICY_SUFFIX):
        shipped = shipped_policies()
        if name not in shipped:
            known = ", ".join(sorted(shipped)) or "none"
            raise PolicyError(f"{name!r} is not a shipped policy (shipped: {known}); give a path to a .toml file")
        return shipped[name]
    path = Path(name)
    return path if path.is_absolute() or base is None else base / path


def load_policy(path: str | Path) -> Policy:
    """Read and check a policy file; raise :class:`PolicyError` naming every problem.

    A shipped policy is named ``policies/<name>.toml`` in messages and reports, wherever it is installed.
    """
    path = Path(path)
    shipped = {location.resolve(): name for name, location in shipped_policies().items()}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise PolicyError(f"{path}: no such policy file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(f"{path}: cannot be read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{path}: is not valid TOML: {err}") from err
    name = shipped.get(path.resolve())
    return parse_policy(raw, f"policies/{name}{POLICY_SUFFIX}" if name else str(path))


def parse_policy(raw: dict[str, Any], shown: str) -> Policy:
    """Check already-parsed TOML data as the policy file ``shown``."""
    if "source" in raw:
        raise PolicyError(f"{shown}: field 'source': unknown field")
    try:
        return Policy.model_validate({**raw, "source": shown})
    except ValidationError as err:
        lines = [f"{shown}: field {_dotted(p['loc'])!r}: {_plain(p)}" for p in err.errors()]
        raise PolicyError("\n".join(lines)) from err


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _plain(problem: Any) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown field (check its spelling against the policy format in the README)"
    return str(problem["msg"]).removeprefix("Value error, ")


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file."""
    schema = Policy.model_json_schema(mode="validation")
    schema["properties"].pop("source", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://forkflow.invalid/schemas/policy.json"
    return schema
