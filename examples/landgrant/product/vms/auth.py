"""Signed session cookies and role checks."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time

from vms import models

SESSION_COOKIE = "vms_session"
SESSION_TTL = 8 * 3600


class Forbidden(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict, secret: str) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(token: str, secret: str):
    try:
        body, mac = token.split(".")
    except ValueError:
        return None
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_b64(expected), mac):
        return None
    payload = json.loads(_unb64(body))
    if payload.get("exp", 0) < time.time():
        return None
    return payload


def issue_session(user, secret):
    payload = {
        "sub": user.netid,
        "name": user.display_name,
        "roles": sorted(user.roles),
        "exp": int(time.time()) + SESSION_TTL,
    }
    return f"{SESSION_COOKIE}={sign(payload, secret)}; Path=/; HttpOnly"


def user_from_request(request, secret):
    raw = request.headers.get("Cookie", "")
    cookies = dict(part.strip().split("=", 1) for part in raw.split(";") if "=" in part)
    payload = unsign(cookies.get(SESSION_COOKIE, ""), secret)
    if payload is None:
        return None
    return models.User(payload["sub"], payload["name"], frozenset(payload["roles"]))


def require_role(role):
    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(request, **kwargs):
            if request.user is None or not request.user.has_role(role):
                raise Forbidden(role)
            return handler(request, **kwargs)

        return wrapper

    return decorator
