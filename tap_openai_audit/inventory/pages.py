"""Reading one inventory list to its end, in its endpoint's paging style.

Each page is checked strictly: an envelope without its `data` array or `has_more` flag, an
object without the ids that make its primary key, `has_more` with an empty page or without a
cursor, or a cursor the API already sent, is a clear error rather than a snapshot that
silently misses objects (a missing object would be marked deleted downstream).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tap_openai_audit.client import Advice, list_envelope
from tap_openai_audit.errors import MalformedResponse, PaginationError
from tap_openai_audit.inventory.endpoints import Style
from tap_openai_audit.storable_text import replace_unstorable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_openai_audit.client import Answer, ApiClient
    from tap_openai_audit.inventory.endpoints import Endpoint

Record = dict[str, Any]

ADVICE = Advice(
    forbidden=(
        "Check that the key is an Admin API key of an Organization Owner; a key limited by "
        "roles may lack the permission to read this list."
    ),
    rerun=(
        "This stream's snapshot is incomplete, so nothing was marked deleted; streams "
        "completed earlier were kept. Rerun later."
    ),
)


@dataclass
class Page:
    """The records of one page, and how many of their strings had to be replaced."""

    records: list[Record]
    replaced: dict[str, int]  # record label -> strings changed (only records with changes)


def read_list(api: ApiClient, endpoint: Endpoint, parent_ids: tuple[str, ...]) -> Iterator[Page]:
    """Every page of `endpoint` for one parent, each object with its parent ids added."""
    path = endpoint.path.format(*(quote(part, safe="") for part in parent_ids))
    base = [*endpoint.params, ("limit", str(endpoint.limit))]
    parents = dict(zip(endpoint.parent.fields, parent_ids, strict=True))
    cursors: set[str] = set()
    after: str | None = None
    while True:
        answer = api.get_json(path, [*base, ("after", after)] if after else base, advice=ADVICE)
        items, has_more, cursor = _envelope(answer, endpoint, path)
        yield _page(answer, items, endpoint, parents)
        if not has_more:
            return
        where = f"GET {path} (request id {answer.request_id})"
        if not items:
            msg = (
                f"{where} answered has_more=true with an empty page; stopping rather than looping."
            )
            raise PaginationError(msg)
        if not cursor:
            msg = f"{where} answered has_more=true without a cursor to the next page."
            raise PaginationError(msg)
        if cursor in cursors:
            msg = f"{where} returned cursor {cursor!r} twice; stopping rather than looping."
            raise PaginationError(msg)
        cursors.add(cursor)
        after = cursor


def _envelope(
    answer: Answer, endpoint: Endpoint, path: str
) -> tuple[list[dict[str, Any]], bool, str | None]:
    """The page's objects, `has_more` and the cursor its style names."""
    where = f"GET {path} (request id {answer.request_id})"
    body, data, has_more = list_envelope(answer.body, where)
    own_keys = [key for key in endpoint.primary_keys if key not in endpoint.parent.fields]
    for item in data:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in own_keys):
            msg = f"{where} returned an object without a string {' and '.join(own_keys)}."
            raise MalformedResponse(msg)
    if endpoint.style is Style.LAST_ID:
        cursor = body.get("last_id")
        # `last_id` names the page's last object; one naming anything else would move the
        # cursor back (objects read twice) or past objects not yet read.
        if data and cursor is not None and cursor != data[-1]["id"]:
            msg = (
                f"{where} returned last_id {cursor!r}, which is not the id of the page's last "
                "object; stopping rather than reading objects twice or skipping some."
            )
            raise PaginationError(msg)
    elif endpoint.style is Style.NEXT:
        cursor = body.get("next")
    else:
        cursor = data[-1]["id"] if data else None
    if cursor is not None and not isinstance(cursor, str):
        msg = f"{where} returned a cursor that is not a string."
        raise MalformedResponse(msg)
    return data, has_more, cursor


def _page(
    answer: Answer, items: list[dict[str, Any]], endpoint: Endpoint, parents: dict[str, str]
) -> Page:
    replaced: dict[str, int] = {}
    for item in items:
        # The ids from the URL win over a field of the same name: they are what was asked.
        item.update(parents)
        if answer.may_hold_unstorable:
            _, changed = replace_unstorable(item)
            if changed:
                label = "/".join(str(item.get(key)) for key in endpoint.primary_keys)
                replaced[label] = changed
    return Page(items, replaced)
