"""LTI 1.1 launches from the campus learning management system."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote

from vms import models

INSTRUCTOR_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper"}
NONCE_WINDOW = 300
_seen_nonces: dict[str, float] = {}


class LaunchError(Exception):
    pass


@dataclass
class Launch:
    user: models.User
    course_id: str
    resource_link_id: str
    return_path: str
    outcome_url: str | None = None
    result_sourcedid: str | None = None


def _enc(value):
    return quote(str(value), safe="~-._")


def signature_base_string(method, url, params):
    pairs = sorted((_enc(k), _enc(v)) for k, v in params.items() if k != "oauth_signature")
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join([method.upper(), _enc(url), _enc(normalized)])


def sign_params(method, url, params, consumer_secret):
    key = f"{_enc(consumer_secret)}&".encode()
    base = signature_base_string(method, url, params).encode()
    return base64.b64encode(hmac.new(key, base, hashlib.sha1).digest()).decode()


def _check_nonce(nonce, timestamp):
    now = time.time()
    if abs(now - int(timestamp)) > NONCE_WINDOW:
        raise LaunchError("stale oauth_timestamp")
    for old, seen in list(_seen_nonces.items()):
        if now - seen > NONCE_WINDOW:
            del _seen_nonces[old]
    if nonce in _seen_nonces:
        raise LaunchError("replayed oauth_nonce")
    _seen_nonces[nonce] = now


def validate_launch(params, settings):
    if params.get("oauth_consumer_key") != settings["consumer_key"]:
        raise LaunchError("unknown consumer key")
    expected = sign_params("POST", settings["launch_url"], params, settings["consumer_secret"])
    if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
        raise LaunchError("bad oauth_signature")
    _check_nonce(params["oauth_nonce"], params["oauth_timestamp"])

    roles = {r.rsplit("/", 1)[-1] for r in params.get("roles", "").split(",") if r}
    app_roles = {"viewer"}
    if roles & INSTRUCTOR_ROLES:
        app_roles.add("instructor")
    user = models.User(
        netid=params.get("lis_person_sourcedid") or params["user_id"],
        display_name=params.get("lis_person_name_full", "Student"),
        roles=frozenset(app_roles),
    )
    course = params.get("context_id", "")
    return Launch(
        user=user,
        course_id=course,
        resource_link_id=params["resource_link_id"],
        return_path=f"/courses/{course}",
        outcome_url=params.get("lis_outcome_service_url"),
        result_sourcedid=params.get("lis_result_sourcedid"),
    )
