"""The data endpoint: bearer check, faults, query parsing and page building."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from openai_audit_emulator import errors, inventory_api
from openai_audit_emulator.errors import ApiError
from openai_audit_emulator.query import parse_query
from openai_audit_emulator.responses import Response, envelope, error_response

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from openai_audit_emulator.faults import Fault
    from openai_audit_emulator.inventory import Inventory
    from openai_audit_emulator.store import EventStore, Page

LIST_PATH = "/v1/organization/audit_logs"
_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)
_PROJECT_KEY_PREFIX = "sk-proj-"
_BEARER = "Bearer "


class DataApi:
    """Answers data requests from an EventStore, applying queued faults first."""

    def __init__(self, store: EventStore, admin_key: str, inventory: Inventory) -> None:
        """Serve `store` and `inventory` to clients that present `admin_key`."""
        self.store = store
        self.inventory = inventory
        self.admin_key = admin_key
        self.latency = 0.0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._previous_last_id: str | None = None

    def inject(self, faults: Sequence[Fault]) -> None:
        """Queue faults; each is consumed, in order, by one data request."""
        with self._lock:
            self._faults.extend(faults)

    def pending_faults(self) -> int:
        """Return how many faults wait to be consumed."""
        with self._lock:
            return len(self._faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def handle(
        self, method: str, path: str, pairs: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Response:
        """Answer one data request (anything outside the control endpoints)."""
        fault = self._next_fault()
        if self.latency > 0:
            time.sleep(self.latency)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.seconds)
            elif fault.kind == "late_events":
                self.store.add(fault.events)
            else:
                replaced = _replacement(fault)
                if replaced is not None:
                    return replaced
        try:
            if path != LIST_PATH:
                return self._inventory(method, path, pairs, headers, fault)
            after, page = self._answer(method, path, pairs, headers)
        except ApiError as error:
            return error_response(error)
        if fault is not None and fault.kind == "repeat_cursor":
            # Point the client back where it came from, so a naive loop never ends.
            repeated = after or self._previous_last_id or page.first_id
            return Response(200, envelope(page, last_id=repeated, has_more=True))
        body = envelope(page)
        self._previous_last_id = page.last_id
        if fault is not None and fault.kind == "truncated_json":
            return Response(200, body[: len(body) // 2])
        return Response(200, body)

    def _answer(
        self, method: str, path: str, pairs: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> tuple[str | None, Page]:
        if method != "GET" or path != LIST_PATH:
            raise ApiError(404, f"Invalid URL ({method} {path})")
        self._check_key(headers.get("Authorization"))
        query = parse_query(pairs)
        return query.after, self.store.page(query)

    def _inventory(
        self,
        method: str,
        path: str,
        pairs: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        fault: Fault | None,
    ) -> Response:
        self._check_key(headers.get("Authorization"))
        found = inventory_api.match(path) if method == "GET" else None
        if found is None:
            raise ApiError(404, f"Invalid URL ({method} {path})")
        route, parents = found
        listing = inventory_api.list_page(self.inventory, route, parents, pairs)
        kind = None if fault is None else fault.kind
        body = listing.body(repeat_cursor=kind == "repeat_cursor")
        if kind == "truncated_json":
            return Response(200, body[: len(body) // 2])
        return Response(200, body)

    def _check_key(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith(_BEARER):
            raise errors.missing_key()
        key = authorization[len(_BEARER) :].strip()
        if key == self.admin_key:
            return
        if key.startswith(_PROJECT_KEY_PREFIX):
            raise errors.project_key()
        raise errors.invalid_key(key)


def _replacement(fault: Fault) -> Response | None:
    """Return the response a fault sends instead of the real one, or None if it keeps it."""
    if fault.kind == "status":
        headers = () if fault.retry_after is None else (("Retry-After", fault.retry_after),)
        return error_response(errors.status_error(fault.code, fault.message), headers)
    if fault.kind == "drop":
        return Response(0, None)
    if fault.kind == "html":
        return Response(200, _HTML_PAGE, content_type="text/html; charset=utf-8")
    if fault.kind == "missing_data":
        return Response(200, b'{"object":"list","has_more":false}')
    if fault.kind == "empty_page_has_more":
        return Response(
            200, b'{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":true}'
        )
    return None
