"""Paging through `GET /organization/audit_logs`, on top of the shared `ApiClient`.

Facts it relies on (see the API reference kept with the project): filters go out as
`name[]=value`, the time range as `effective_at[gte|lt]` in Unix seconds, the cursor as
`after=<last_id>`; the body is `{"object": "list", "data": [...], "last_id", "has_more"}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_openai_audit.audit_log.records import check_event, make_storable
from tap_openai_audit.client import Advice, list_envelope
from tap_openai_audit.errors import MalformedResponse, PaginationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_openai_audit.audit_log.scopes import Scope
    from tap_openai_audit.audit_log.windows import Window
    from tap_openai_audit.client import ApiClient, Params

PATH = "/organization/audit_logs"
Event = dict[str, Any]

_RERUN = "Rerun later; the bookmark stays at the last completed window."
ADVICE = Advice(
    forbidden=(
        "Check that the key is an Admin API key, not a project key, and that audit logging is "
        "activated for the organization (Settings > Organization > Data controls)."
    ),
    rerun="The state of every completed window has been emitted: rerun to resume from it.",
)


@dataclass(frozen=True)
class Page:
    """One page of the list envelope."""

    events: list[Event]
    has_more: bool
    last_id: str | None
    # The id of the last event as the API sent it: the cursor, even when replacing U+0000
    # or a lone surrogate changed it in `events`.
    last_event_id: str | None = None
    # (id, strings changed) of each event whose U+0000 or lone surrogates were replaced.
    replaced: tuple[tuple[str, int], ...] = ()


class AuditLogClient:
    """Reads audit-log pages through a shared `ApiClient`; safe to share between threads."""

    def __init__(self, api: ApiClient, *, scope: Scope = "organization") -> None:
        """Prepare to read `scope` with `api`'s settings; nothing is sent yet.

        The API returns tenant-scoped events only to requests with `tenant_only=true`, and
        refuses an event type of the other scope: each scope sends only its own types.
        """
        self._api = api
        settings = api.settings
        self._page_size = settings.page_size
        self._filter_params: Params = [
            (f"{name}[]", value)
            for name, values in settings.scope_filters(scope) or ()
            for value in values
        ]
        if scope == "tenant":
            self._filter_params.append(("tenant_only", "true"))

    def window_pages(self, window: Window) -> Iterator[Page]:
        """Every page of `window`, following the cursor until `has_more` is false."""
        base = [
            *self._filter_params,
            ("effective_at[gte]", str(window.start)),
            ("effective_at[lt]", str(window.end)),
            ("limit", str(self._page_size)),
        ]
        cursors: set[str] = set()
        after: str | None = None
        while True:
            page = self.fetch([*base, ("after", after)] if after else base)
            yield page
            if not page.has_more:
                return
            if not page.events:
                msg = (
                    f"The API answered has_more=true with an empty page for window "
                    f"{window.start}..{window.end}; stopping rather than looping. {_RERUN}"
                )
                raise PaginationError(msg)
            # `after` is "the ID of the last object" received (API reference). A `last_id`
            # naming anything else would move the cursor outside this page, e.g. back to an
            # earlier window, and end the window early with events unread: refuse it.
            after = page.last_event_id or ""
            repeated = page.last_id if page.last_id in cursors else after
            if repeated in cursors:
                msg = (
                    f"The API returned cursor {repeated!r} twice for window "
                    f"{window.start}..{window.end}; stopping rather than looping. {_RERUN}"
                )
                raise PaginationError(msg)
            if page.last_id is not None and page.last_id != after:
                msg = (
                    f"The API's last_id {page.last_id!r} is not the id of the page's last event "
                    f"{after!r} (window {window.start}..{window.end}); following it could skip "
                    f"events, so the tap stops. {_RERUN}"
                )
                raise PaginationError(msg)
            cursors.add(after)

    def has_events_before(self, moment: int) -> bool:
        """Whether any event matching the filters has `effective_at` before `moment`."""
        page = self.fetch([*self._filter_params, ("effective_at[lt]", str(moment)), ("limit", "1")])
        return bool(page.events)

    def find_earliest(self, upper: int) -> int | None:
        """The `effective_at` of the oldest event before `upper`, or None when there is none.

        A binary search of one-event probes: about 31 requests for all of Unix time, where
        reading empty day windows since 1970 would take twenty thousand.
        """
        if not self.has_events_before(upper):
            return None
        low, high = 0, upper  # nothing before `low`; something before `high`
        if self.has_events_before(low + 1):
            return low
        while high - low > 1:
            middle = (low + high) // 2
            if self.has_events_before(middle):
                high = middle
            else:
                low = middle
        return low

    def fetch(self, params: Params) -> Page:
        """One page, retried on 429, 5xx, timeouts and dropped connections."""
        answer = self._api.get_json(PATH, params, advice=ADVICE)
        return _parse_page(
            answer.body, answer.request_id, may_hold_unstorable=answer.may_hold_unstorable
        )


def _parse_page(body: Any, request_id: str, *, may_hold_unstorable: bool) -> Page:  # noqa: ANN401 - any JSON
    """Check the envelope strictly: a silent empty page would lose events."""
    where = f"GET {PATH} (request id {request_id})"
    envelope, data, has_more = list_envelope(body, where)
    last_id = envelope.get("last_id")
    events = [check_event(event, request_id) for event in data]
    last_event_id = events[-1]["id"] if events else None
    # Only a page whose raw body shows an escape that may stand for U+0000 or a surrogate
    # is walked: the usual page costs nothing here.
    replaced = tuple(make_storable(events)) if may_hold_unstorable else ()
    if last_id is not None and not isinstance(last_id, str):
        msg = f"{where} returned a last_id that is not a string."
        raise MalformedResponse(msg)
    return Page(
        events=events,
        has_more=has_more,
        last_id=last_id,
        last_event_id=last_event_id,
        replaced=replaced,
    )
