"""Reading the registers central keeps at its head (``needs.toml``, ``security.toml``): TOML
checked against a model, each mistake named by the file and the field."""

from __future__ import annotations

import tomllib
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from forkflow.errors import ManifestError

M = TypeVar("M", bound=BaseModel)


def read_register(text: str, shown: str, model: type[M]) -> M:
    """``text`` (the file ``shown`` names, for errors) as ``model``; ManifestError names the field."""
    try:
        return model.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(shown, f"is not valid TOML: {err}") from err
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ManifestError(shown, str(first["msg"]), field=field) from err
