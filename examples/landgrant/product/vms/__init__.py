"""Lecture Capture: the Land Grant University video management service.

The service accepts lecture recordings from classroom capture agents and from
instructors' browsers, transcodes them into an adaptive ladder of renditions,
attaches captions and publishes them to course sites through LTI.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from pathlib import Path

__version__ = "1.4.0"

log = logging.getLogger("vms")

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = _ROOT / "config" / "default.toml"
BRANDING_FILE = _ROOT / "config" / "branding.json"


def load_config(path: str | os.PathLike | None = None) -> dict:
    """Read the TOML configuration, then apply VMS_<SECTION>__<OPTION> overrides."""
    path = Path(path or os.environ.get("VMS_CONFIG", DEFAULT_CONFIG))
    with open(path, "rb") as fh:
        config = tomllib.load(fh)
    for key, value in os.environ.items():
        if not key.startswith("VMS_") or key == "VMS_CONFIG":
            continue
        section, _, option = key[4:].lower().partition("__")
        if option:
            config.setdefault(section, {})[option] = value
    return config


def load_branding(path: str | os.PathLike | None = None) -> dict:
    """Colours, logo and contacts that a unit shows to its viewers."""
    with open(path or BRANDING_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def create_app(config_path: str | None = None):
    """Build the WSGI application with every route registered."""
    from vms.app import Application
    from vms.storage import storage_from_config

    config = load_config(config_path)
    logging.basicConfig(level=config.get("logging", {}).get("level", "INFO"))
    app = Application(config, storage_from_config(config["storage"]))
    app.branding = load_branding()
    log.info("Lecture Capture %s starting for %s", __version__, app.branding.get("unit_name"))
    return app
