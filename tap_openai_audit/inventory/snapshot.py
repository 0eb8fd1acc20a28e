"""One run's reading of the inventory: every list once, parents known once, in parallel.

Child lists are read once per parent (project, user, group, or project x member). The ids
of those parents are kept (ids only, so memory stays small) when their own stream is read,
and read on demand when it is deselected, so that no parent list is read twice in a run.
Per-parent requests run through `read_in_order`, the tap's one concurrency mechanism,
sharing the run's `ApiClient` (its retry policy and 429 gate) with the audit log.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING

from tap_openai_audit.fetcher import read_in_order
from tap_openai_audit.inventory import endpoints as ep
from tap_openai_audit.inventory.pages import Record, read_list

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
        self._lock = threading.Lock()

    def records(self, endpoint: Endpoint) -> Iterator[Record]:
        """Every record of `endpoint`'s snapshot, parent after parent, in the API's order.

        When the generator ends normally the snapshot is complete; any failure raises.
        """
        source = next(
            (kind for kind, (stream, _) in _SOURCES.items() if stream == endpoint.stream), None
        )
        fields = _SOURCES[source][1] if source else ()
        learned: list[ParentIds] = []
        archived: set[str] = set()
        jobs = self._jobs(endpoint.parent)
        concurrency = self._concurrency if len(jobs) > 1 else 1
        for _, pages in read_in_order(
            jobs, partial(read_list, self._api, endpoint), concurrency=concurrency
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
        if source:
            self._learn(source, learned, archived)

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
