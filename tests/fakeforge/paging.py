"""page/per_page pagination, shared by GitHub's and GitLab's REST APIs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode


def int_arg(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def page_of(items: list[Any], query: dict[str, str], default: int, cap: int) -> tuple[list[Any], int, int, int]:
    """(the page's items, page, per_page, last page) for `page`/`per_page` in `query`."""
    per_page = min(max(int_arg(query.get("per_page"), default), 1), cap)
    page = max(int_arg(query.get("page"), 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    return items[(page - 1) * per_page : page * per_page], page, per_page, last


def page_url(base: str, query_string: str, page: int) -> str:
    """`base` with the request's query, its `page` replaced."""
    query = [(key, value) for key, value in parse_qsl(query_string, keep_blank_values=True) if key != "page"]
    return base + "?" + urlencode([*query, ("page", str(page))])


def link_header(base: str, query_string: str, page: int, last: int, *, always: bool = False) -> str | None:
    """The `Link` header of page `page` of `last`; None when there is one page (GitHub's way).

    `always`: GitLab's way, first and last on every page, even the only one.
    """
    links: list[tuple[int, str]] = []
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links += [(1, "first"), (min(page - 1, last), "prev")]
    if always:  # GitLab: prev, next, first, last, whatever the page
        links = [link for link in links if link[1] in ("prev", "next")] + [(1, "first"), (last, "last")]
    if not links:
        return None
    return ", ".join(f'<{page_url(base, query_string, number)}>; rel="{rel}"' for number, rel in links)
