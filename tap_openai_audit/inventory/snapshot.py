"""One run's reading of the inventory: every list once, parents known once, in parallel.

Child lists are read once per parent (project, user, group, or project x member). The ids
of those parents are kept (ids only, so memory stays small) when their own stream is read,
and read on demand when it is deselected, so that no parent list is read twice in a run.
Per-parent requests run through `read_in_order`, the tap's one concurrency mechanism,
sharing the run's `ApiClient` (its retry policy and 429 gate) with the audit log.

An organization may lack a list (groups, RBAC roles, certificates...) or the key a
permission: a 403 or 404 on a top-level list, or a 403 on a child list, skips that stream and
every stream that needs its ids, for this run (`StreamSkipped`). A 404 on one parent's child
list means that parent went away while the run read it: it has no children in the snapshot.
When the child list of every parent (two or more) answers 404, the parents did not all go
away at once: the list itself is missing (an API change, a feature the organization lacks),
and the stream is skipped like a refused top-level list, instead of activating an empty
snapshot that would mark every row of it deleted.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, NoReturn

from tap_openai_audit.errors import Forbidden, NotFound
from tap_openai_audit.fetcher import read_in_order
from tap_openai_audit.inventory import endpoints as ep
from tap_openai_audit.inventory.pages import Page, Record, read_list

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterator

    from tap_openai_audit.client import ApiClient
    from tap_openai_audit.inventory.endpoints import Endpoint, Parent
    from tap_openai_audit.storable_text import ReplacementTally

ParentIds = tuple[str, ...]

# Which stream lists each kind of parent, and which fields of its records are the ids.
_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "project": ("projects", ("id",)),
    "user": ("users", ("id",)),
    "group": ("groups", ("id",)),
    "project user": ("project_users", ("project_id", "id")),
    "project group": ("project_groups", ("project_id", "group_id")),
}


class StreamSkipped(Exception):
    """A stream is not read in this run: its list, or the list of its parents, was refused."""

    def __init__(self, stream: str, status: int, refused: str, where: str) -> None:
        """`refused` answered `status` at `where` (its request, with its request id)."""
        super().__init__(f"{stream}: {refused} answered HTTP {status}")
        self.stream = stream
        self.status = status
        self.refused = refused
        self.where = where

    def warning(self) -> str:
        """The run's one line about it: what was refused, and how to deselect the stream."""
        if self.refused == self.stream:
            why = f"{self.where}"
        else:
            why = f"it is read with the ids of {self.refused}, and {self.where}"
        meaning = (
            "the organization does not have this list, or the Admin API key lacks the "
            "permission to read it"
        )
        return (
            f"{self.stream}: skipped for this run: {why} ({meaning}). Nothing of {self.stream} "
            "is marked deleted, and every other stream goes on. If this organization never has "
            f"it, deselect it with the select line '!{self.stream}.*' (after '*.*' when the "
            "extractor has no select list yet)."
        )


class Snapshot:
    """Reads inventory lists for one tap run; safe to use from one stream at a time."""

    def __init__(
        self,
        api: ApiClient,
        *,
        concurrency: int,
        logger: logging.Logger,
        replacements: ReplacementTally,
    ) -> None:
        """Read through `api` with up to `concurrency` requests in flight.

        `replacements` is the run's tally of strings made storable, for its one warning.
        """
        self._api = api
        self._replacements = replacements
        self._concurrency = concurrency
        self._logger = logger
        self._known: dict[str, list[ParentIds]] = {}
        self._archived: set[str] = set()
        self._said_archived = False
        # Streams skipped in this run, so that no other stream asks for their lists again.
        self._skipped: dict[str, StreamSkipped] = {}
        self._lock = threading.Lock()

    def records(self, endpoint: Endpoint) -> Iterator[Record]:
        """Every record of `endpoint`'s snapshot, parent after parent, in the API's order.

        When the generator ends normally the snapshot is complete; any failure raises.

        Raises:
            StreamSkipped: the stream's list, or its parents' list, was refused with 403 or
                404 (see the module's docstring); records may have been yielded before.
        """
        with self._lock:
            skipped = self._skipped.get(endpoint.stream)
        if skipped is not None:
            raise skipped
        try:
            yield from self._read(endpoint)
        except StreamSkipped as parents_skipped:
            # Raised by the parents' stream, read here for their ids: this one goes too.
            self._skip(
                StreamSkipped(
                    endpoint.stream,
                    parents_skipped.status,
                    parents_skipped.refused,
                    parents_skipped.where,
                )
            )
        except (Forbidden, NotFound) as refusal:
            # NotFound reaches here from a top-level list, or from a child list that every
            # parent's request answered with 404 (see `_read`).
            status = 403 if isinstance(refusal, Forbidden) else 404
            self._skip(StreamSkipped(endpoint.stream, status, endpoint.stream, refusal.where))

    def skipped_streams(self) -> list[str]:
        """The streams skipped so far in this run, by name."""
        with self._lock:
            return sorted(self._skipped)

    def _skip(self, skipped: StreamSkipped) -> NoReturn:
        with self._lock:
            self._skipped[skipped.stream] = skipped
        raise skipped

    def _read(self, endpoint: Endpoint) -> Iterator[Record]:
        source = next(
            (kind for kind, (stream, _) in _SOURCES.items() if stream == endpoint.stream), None
        )
        fields = _SOURCES[source][1] if source else ()
        learned: list[ParentIds] = []
        archived: set[str] = set()
        jobs = self._jobs(endpoint.parent)
        concurrency = self._concurrency if len(jobs) > 1 else 1
        gone: list[NotFound] = []  # appended from the reading threads (list.append is atomic)
        for _, pages in read_in_order(
            jobs, partial(self._read_one, endpoint, gone), concurrency=concurrency
        ):
            for page in pages:
                for label, count in page.replaced.items():
                    self._replacements.add(label, count)
                for record in page.records:
                    if source:
                        learned.append(tuple(str(record[field]) for field in fields))
                        if source == "project" and record.get("status") == "archived":
                            archived.add(str(record["id"]))
                    yield record
        if len(jobs) > 1 and len(gone) == len(jobs):
            raise gone[-1]
        if source:
            self._learn(source, learned, archived)

    def _read_one(
        self, endpoint: Endpoint, gone: list[NotFound], parent_ids: ParentIds
    ) -> Iterator[Page]:
        """One parent's list; a child list answering 404 means that parent is gone."""
        try:
            yield from read_list(self._api, endpoint, parent_ids)
        except NotFound as not_found:
            if endpoint.parent is ep.TOP:
                raise
            gone.append(not_found)
            self._logger.info(
                "%s: the %s %s went away during this run (its list answered HTTP 404): it has "
                "no rows in this snapshot.",
                endpoint.stream,
                endpoint.parent.name,
                "/".join(parent_ids),
            )

    def _learn(self, source: str, ids: list[ParentIds], archived: set[str]) -> None:
        with self._lock:
            self._known[source] = ids
            if source == "project":
                self._archived = archived

    def _parents(self, kind: str) -> list[ParentIds]:
        """The ids of every parent of this kind, read now if their stream was not read."""
        with self._lock:
            known = self._known.get(kind)
        if known is None:
            stream = _SOURCES[kind][0]
            self._logger.info("Reading %s for the ids of their children (not emitted).", stream)
            for _ in self.records(ep.BY_STREAM[stream]):
                pass
            with self._lock:
                known = self._known[kind]
        return known

    def _jobs(self, parent: Parent) -> list[ParentIds]:
        if parent is ep.TOP:
            return [()]
        if parent is ep.ACTIVE_PROJECT:
            projects = self._parents("project")
            self._say_archived()
            return [ids for ids in projects if ids[0] not in self._archived]
        kind = {
            ep.PROJECT: "project",
            ep.USER: "user",
            ep.GROUP: "group",
            # Members of projects that are not archived: the others' are not listed.
            ep.PROJECT_USER: "project user",
            ep.PROJECT_GROUP: "project group",
        }[parent]
        return self._parents(kind)

    def _say_archived(self) -> None:
        with self._lock:
            if self._said_archived or not self._archived:
                return
            self._said_archived = True
            count = len(self._archived)
        self._logger.info(
            "%d archived project(s): their users and service accounts are not asked for (the "
            "API refuses them), so project_users, project_service_accounts and "
            "project_user_roles have no rows for them; everything else about them is read.",
            count,
        )
