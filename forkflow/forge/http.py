"""How forkflow waits for a forge over HTTP: timeouts, retries, and what a rate limit means.

- every answer is waited for at most ``FORKFLOW_GITHUB_TIMEOUT`` seconds (:data:`DEFAULT_TIMEOUT`);
  a read that timed out is asked for once more, and only for a call that can be repeated (a GET);
- 502, 503 and 504 are retried (idempotent calls), with a back-off;
- a 429 that says when to come back (``Retry-After``: GitHub's secondary rate limit) is retried
  after that wait, even for a POST, since GitHub did not carry it out; never longer than :data:`MAX_WAIT`;
- a 403 or 429 with no request left (``X-RateLimit-Remaining: 0``) is the exhausted primary rate
  limit: :func:`rate_limit_message` says until when, and the run stops (every further call would fail).

GitLab is waited for the same way: its timeout is ``FORKFLOW_GITLAB_TIMEOUT``, and its rate limit
headers are ``RateLimit-Remaining`` and ``RateLimit-Reset`` (a 429 says ``Retry-After`` too).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from urllib3.util.retry import Retry

from forkflow.errors import ForgeError
from forkflow.problems import one_line

MAX_WAIT = 60
"""Seconds forkflow waits at most for one Retry-After; a longer wait is reported instead."""
DEFAULT_TIMEOUT = 30.0
"""Seconds forkflow waits for one answer (FORKFLOW_GITHUB_TIMEOUT); a slower one is a problem for that call."""
CONNECT_TIMEOUT = 10.0
MAX_REASON = 300
"""Characters of a forge's answer kept in a problem (a broken answer can be a whole HTML page)."""


class BoundedRetry(Retry):
    """urllib3's retries for idempotent calls, honouring Retry-After but never waiting longer than MAX_WAIT."""

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, MAX_WAIT)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # A 429 with Retry-After (GitHub's secondary rate limit) was not carried out: even a POST may be
        # sent again once the wait is over.
        if status_code == 429 and has_retry_after and self.total:
            return True
        return bool(super().is_retry(method, status_code, has_retry_after))


def retries() -> BoundedRetry:
    return BoundedRetry(
        total=4,
        read=1,  # an answer that timed out is asked for once more, not four times
        backoff_factor=0.5,
        status_forcelist=(502, 503, 504),  # 429 is retried when the forge says when (Retry-After)
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def timeout_from_env(environ: Mapping[str, str], forge: str = "GitHub") -> float:
    """FORKFLOW_GITHUB_TIMEOUT (FORKFLOW_GITLAB_TIMEOUT for ``forge="GitLab"``): seconds, default DEFAULT_TIMEOUT."""
    variable = f"FORKFLOW_{forge.upper()}_TIMEOUT"
    value = environ.get(variable)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise ForgeError(f"{variable}={value!r}: give the seconds to wait for {forge}, up to 3600")
    return seconds


def rate_limit_message(response: Any, forge: str = "GitHub") -> str | None:
    """The exhausted primary rate limit (403 or 429, no request left) explained; None for any other answer.

    GitHub says it with ``X-RateLimit-*`` headers, GitLab with ``RateLimit-*``.
    """
    headers = getattr(response, "headers", None) or {}
    prefix = "" if forge == "GitLab" else "X-"
    if getattr(response, "status_code", None) not in (403, 429) or headers.get(f"{prefix}RateLimit-Remaining") != "0":
        return None
    reset = str(headers.get(f"{prefix}RateLimit-Reset", ""))
    when = datetime.fromtimestamp(int(reset), UTC).isoformat(timespec="minutes") if reset.isdigit() else "later"
    return f"{forge}'s rate limit is exhausted until {when}; run again then"


def shorten(text: str) -> str:
    """One line of at most MAX_REASON characters."""
    text = one_line(text)
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."
