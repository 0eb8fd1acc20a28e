"""Read jobs one after another, or several at once, and hand them back in order.

The one concurrency mechanism of the tap: a job is whatever yields pages (an audit-log window,
a parent's child list). With `max_concurrency` N > 1, N worker threads read up to `2 N` jobs
ahead, each job into its own queue of at most `PAGES_BUFFERED_PER_WINDOW` pages. The caller
still receives the jobs strictly in the order given and each job's pages in the API's order,
so state can advance job by job exactly as in a sequential run. Memory stays bounded: at most
`2 N * PAGES_BUFFERED_PER_WINDOW` pages are held at any time.

Workers pay when the reader waits for the network, and cost when it does not: threads, the
GIL passed back and forth, and pages held twice as long cost about a tenth more CPU when the
API answers faster than the records are written. So reading starts one job at a time, and
moves to the N workers, for good, as soon as the time spent waiting for answers reaches
`WAITING_SHARE` of the time spent reading: after the first job against any API across a
network, never against a local one that answers at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator


PAGES_BUFFERED_PER_WINDOW = 8
WINDOWS_AHEAD_PER_WORKER = 2
WAITING_SHARE = 1 / 3
_POLL_SECONDS = 0.2
# How long stopping early waits for requests in flight (a retry's back-off is not waited for).
STOP_WAIT_SECONDS = 5.0
_EXHAUSTED = object()

PageT = TypeVar("PageT")
JobT = TypeVar("JobT")


class _Done:
    """Marks the end of a job's pages."""


@dataclass
class _Failed:
    """Carries a worker's exception to the reader, in the job where it happened."""

    error: BaseException


@dataclass
class _Job(Generic[JobT, PageT]):
    key: JobT
    pages: queue.Queue[PageT | _Done | _Failed] = field(
        default_factory=lambda: queue.Queue(PAGES_BUFFERED_PER_WINDOW)
    )


def read_in_order(
    jobs: Iterable[JobT],
    read_job: Callable[[JobT], Iterator[PageT]],
    *,
    concurrency: int,
    always_concurrent: bool = False,
) -> Generator[tuple[JobT, Iterator[PageT]], None, None]:
    """Yield `(job, its pages)` in the order of `jobs`; the caller must exhaust each iterator.

    A failure in a job is raised when the caller reaches that job, after every earlier job
    has been handed over complete. `always_concurrent` skips the one-job-at-a-time start.
    """
    remaining = iter(jobs)
    if concurrency <= 1:
        for job in remaining:
            yield job, read_job(job)
        return
    if not always_concurrent:
        watch = _Waiting()
        for job in remaining:
            yield job, watch.pages(read_job(job))
            if watch.pays():
                break
        else:
            return
    yield from _ConcurrentReader(remaining, read_job, concurrency).jobs()


class _Waiting:
    """How much of a one-at-a-time reading went into waiting for answers."""

    def __init__(self) -> None:
        self.waited = 0.0
        self.spent = 0.0

    def pages(self, pages: Iterator[PageT]) -> Iterator[PageT]:
        """`pages`, timing each one: wall time apart from CPU time is waiting."""
        while True:
            wall, cpu = time.perf_counter(), time.thread_time()
            page = next(pages, _EXHAUSTED)
            fetched = time.perf_counter()
            self.waited += max(0.0, (fetched - wall) - (time.thread_time() - cpu))
            if page is _EXHAUSTED:
                self.spent += fetched - wall
                return
            yield page  # type: ignore[misc]
            self.spent += time.perf_counter() - wall

    def pays(self) -> bool:
        """Whether workers would have overlapped enough waiting to be worth their cost."""
        return self.spent > 0 and self.waited >= WAITING_SHARE * self.spent


class _ConcurrentReader(Generic[JobT, PageT]):
    def __init__(
        self,
        jobs: Iterable[JobT],
        read_job: Callable[[JobT], Iterator[PageT]],
        concurrency: int,
    ) -> None:
        self._keys = iter(jobs)
        self._read_job = read_job
        self._concurrency = concurrency
        self._work: queue.Queue[_Job[JobT, PageT] | None] = queue.Queue()
        self._stop = threading.Event()

    def jobs(self) -> Iterator[tuple[JobT, Iterator[PageT]]]:
        # Daemon threads: a SIGTERM's SystemExit must not wait for a page in flight.
        workers = [
            threading.Thread(target=self._work_loop, name=f"page-reader-{n}", daemon=True)
            for n in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        ahead: deque[_Job[JobT, PageT]] = deque()
        signalled = False
        try:
            self._schedule(ahead, self._concurrency * WINDOWS_AHEAD_PER_WORKER)
            while ahead:
                job = ahead.popleft()
                yield job.key, self._drain(job)
                self._schedule(ahead, 1)
        except (SystemExit, KeyboardInterrupt):
            signalled = True  # the process ends now, and its daemon threads with it
            raise
        finally:
            self._stop.set()
            for _ in workers:
                self._work.put(None)
            if not signalled:
                # A request in flight ends before its session is closed (see client.py):
                # its socket is then closed too, not left to the garbage collector.
                deadline = time.monotonic() + STOP_WAIT_SECONDS
                for worker in workers:
                    worker.join(max(0.0, deadline - time.monotonic()))

    def _schedule(self, ahead: deque[_Job[JobT, PageT]], count: int) -> None:
        for _ in range(count):
            key = next(self._keys, _EXHAUSTED)
            if key is _EXHAUSTED:
                return
            job: _Job[JobT, PageT] = _Job(key)  # type: ignore[arg-type]
            ahead.append(job)
            self._work.put(job)

    def _drain(self, job: _Job[JobT, PageT]) -> Iterator[PageT]:
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
                for page in self._read_job(job.key):
                    if not self._put(job, page):
                        return
                self._put(job, _Done())
            except Exception as error:  # noqa: BLE001 - handed to the reader, raised there
                self._put(job, _Failed(error))

    def _put(self, job: _Job[JobT, PageT], item: PageT | _Done | _Failed) -> bool:
        """Block while the job's buffer is full; False once the reader has gone."""
        while not self._stop.is_set():
            try:
                job.pages.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False
