"""Read windows one after another, or several at once, and hand them back in order.

With `max_concurrency` N > 1, N worker threads read up to `2 N` windows ahead, each window
into its own queue of at most `PAGES_BUFFERED_PER_WINDOW` pages. The caller still receives the
windows strictly oldest first and each window's pages in the API's order, so state can advance
window by window exactly as in a sequential run. Memory stays bounded: at most
`2 N * PAGES_BUFFERED_PER_WINDOW` pages are held at any time.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from tap_openai_audit.windows import Window

PAGES_BUFFERED_PER_WINDOW = 8
WINDOWS_AHEAD_PER_WORKER = 2
_POLL_SECONDS = 0.2

PageT = TypeVar("PageT")


class _Done:
    """Marks the end of a window's pages."""


@dataclass
class _Failed:
    """Carries a worker's exception to the reader, in the window where it happened."""

    error: BaseException


@dataclass
class _Job(Generic[PageT]):
    window: Window
    pages: queue.Queue[PageT | _Done | _Failed] = field(
        default_factory=lambda: queue.Queue(PAGES_BUFFERED_PER_WINDOW)
    )


def read_windows(
    windows: Iterable[Window],
    read_window: Callable[[Window], Iterator[PageT]],
    *,
    concurrency: int,
) -> Generator[tuple[Window, Iterator[PageT]], None, None]:
    """Yield `(window, its pages)` oldest first; the caller must exhaust each page iterator.

    A failure in a window is raised when the caller reaches that window, after every earlier
    window has been handed over complete.
    """
    if concurrency <= 1:
        for window in windows:
            yield window, read_window(window)
        return
    yield from _ConcurrentReader(windows, read_window, concurrency).windows()


class _ConcurrentReader(Generic[PageT]):
    def __init__(
        self,
        windows: Iterable[Window],
        read_window: Callable[[Window], Iterator[PageT]],
        concurrency: int,
    ) -> None:
        self._windows = iter(windows)
        self._read_window = read_window
        self._concurrency = concurrency
        self._work: queue.Queue[_Job[PageT] | None] = queue.Queue()
        self._stop = threading.Event()

    def windows(self) -> Iterator[tuple[Window, Iterator[PageT]]]:
        # Daemon threads: a SIGTERM's SystemExit must not wait for a page in flight.
        workers = [
            threading.Thread(target=self._work_loop, name=f"window-reader-{n}", daemon=True)
            for n in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        ahead: deque[_Job[PageT]] = deque()
        try:
            self._schedule(ahead, self._concurrency * WINDOWS_AHEAD_PER_WORKER)
            while ahead:
                job = ahead.popleft()
                yield job.window, self._drain(job)
                self._schedule(ahead, 1)
        finally:
            self._stop.set()
            for _ in workers:
                self._work.put(None)

    def _schedule(self, ahead: deque[_Job[PageT]], count: int) -> None:
        for _ in range(count):
            window = next(self._windows, None)
            if window is None:
                return
            job: _Job[PageT] = _Job(window)
            ahead.append(job)
            self._work.put(job)

    def _drain(self, job: _Job[PageT]) -> Iterator[PageT]:
        while True:
            item = job.pages.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def _work_loop(self) -> None:
        while not self._stop.is_set():
            job = self._work.get()
            if job is None:
                return
            try:
                for page in self._read_window(job.window):
                    if not self._put(job, page):
                        return
                self._put(job, _Done())
            except Exception as error:  # noqa: BLE001 - handed to the reader, raised there
                self._put(job, _Failed(error))

    def _put(self, job: _Job[PageT], item: PageT | _Done | _Failed) -> bool:
        """Block while the window's buffer is full; False once the reader has gone."""
        while not self._stop.is_set():
            try:
                job.pages.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False
