"""One run's reads of the audit log: every scope's windows as one ordered sequence of jobs.

The SDK asks for the partitions one after the other; each takes its own jobs from the front
of the shared sequence, so the workers that fetch ahead never stop at a partition's end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from tap_openai_audit.audit_log.pages import Page
    from tap_openai_audit.audit_log.scopes import Scope
    from tap_openai_audit.audit_log.windows import Window


@dataclass(frozen=True)
class Job:
    """One window of one scope."""

    scope: Scope
    window: Window


@dataclass
class RunReads:
    """The jobs of a run, handed out scope by scope in the order they were planned."""

    run_id: str
    upper: int
    jobs: Iterator[tuple[Job, Iterator[Page]]]
    filtered: Mapping[Scope, bool]
    no_history_before: frozenset[Scope]
    _pending: tuple[Job, Iterator[Page]] | None = field(default=None, init=False)
    _done: set[Scope] = field(default_factory=set, init=False)

    def reads(self, scope: Scope) -> Iterator[tuple[Job, Iterator[Page]]]:
        """The jobs of `scope`, up to the first job of the next scope (kept for its turn).

        Raises:
            RuntimeError: when `scope` is asked for after a later scope's jobs were taken, or
                twice: its windows would be skipped silently.
        """
        if scope in self._done:
            msg = f"The {scope} scope was read already in this run."
            raise RuntimeError(msg)
        self._done.add(scope)
        while True:
            item = self._pending if self._pending is not None else next(self.jobs, None)
            self._pending = None
            if item is None:
                return
            if item[0].scope != scope:
                if item[0].scope in self._done:
                    msg = f"The {item[0].scope} scope's windows came after its turn."
                    raise RuntimeError(msg)
                self._pending = item
                return
            yield item
