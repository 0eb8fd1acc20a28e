import dataclasses
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typing_extensions import override

from tap_openai_audit import fetcher
from tap_openai_audit.audit_log.windows import Window, plan_windows
from tap_openai_audit.fetcher import read_in_order


def _pages(window: Window) -> Iterator[list[int]]:
    # Later windows answer faster, so a concurrent reader finishes them first (and the waits
    # make the reader move to its workers after the first window).
    for second in range(window.start, window.end, 5):
        time.sleep(0.001 * (40 - window.start // 10))
        yield [second]


def _at_once(window: Window) -> Iterator[list[int]]:
    yield from ([second] for second in range(window.start, window.end, 5))


@pytest.mark.parametrize("concurrency", [1, 2, 4, 8])
def test_windows_come_back_oldest_first_with_their_pages_in_order(concurrency: int) -> None:
    read = _pages if concurrency > 1 else _at_once  # one at a time: how fast cannot matter
    seen: list[tuple[Window, list[list[int]]]] = [
        (window, list(pages))
        for window, pages in read_in_order(plan_windows(0, 400, 10), read, concurrency=concurrency)
    ]
    assert [window for window, _ in seen] == list(plan_windows(0, 400, 10))
    for window, pages in seen:
        assert pages == [[second] for second in range(window.start, window.end, 5)]


def test_a_failure_surfaces_in_its_window_after_the_earlier_ones() -> None:
    def pages(window: Window) -> Iterator[int]:
        if window.start == 20:
            message = "boom"
            raise RuntimeError(message)
        yield window.start

    completed: list[Window] = []

    def consume() -> None:
        for window, window_pages in read_in_order(plan_windows(0, 100, 10), pages, concurrency=4):
            list(window_pages)
            completed.append(window)

    with pytest.raises(RuntimeError, match="boom"):
        consume()
    assert completed == [Window(0, 10), Window(10, 20)]


def test_memory_is_bounded_by_a_fixed_number_of_buffered_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers read ahead until every one of them waits with a full buffer, and no further."""
    buffered, workers = 3, 4
    monkeypatch.setattr(fetcher, "PAGES_BUFFERED_PER_WINDOW", buffered)
    progress = threading.Condition()
    produced = 0
    full: set[int] = set()  # the jobs whose worker found the buffer full, a page in hand

    class WatchedQueue(queue.Queue[Any]):
        def __init__(self, window: int) -> None:
            super().__init__(buffered)
            self.window = window

        @override
        def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
            try:
                super().put(item, block=block, timeout=timeout)
            except queue.Full:
                with progress:
                    full.add(self.window)
                    progress.notify_all()
                raise

    @dataclasses.dataclass
    class WatchedJob(fetcher._Job[Window, int]):  # the reader's own buffer, watched
        def __post_init__(self) -> None:
            self.pages = WatchedQueue(self.key.start)

    monkeypatch.setattr(fetcher, "_Job", WatchedJob)

    def pages(_: Window) -> Iterator[int]:
        nonlocal produced
        for page in range(50):
            with progress:
                produced += 1
                progress.notify_all()
            yield page

    reader = read_in_order(
        plan_windows(0, 100, 10), pages, concurrency=workers, always_concurrent=True
    )
    _, first_pages = next(reader)
    next(first_pages)
    with progress:
        # Every worker holds a window of its own; once each has met a full buffer, none can
        # read more until pages are taken: the count is final, and must be the bound.
        assert progress.wait_for(lambda: len(full) == workers, timeout=30)
        # The page taken, and per worker a full buffer plus the page it waits to put.
        assert produced == 1 + workers * (buffered + 1)
    reader.close()


class _Clock:
    """Wall and CPU time that move only when told: the reader's choice, without the machine's."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def perf_counter(self) -> float:
        return self.wall

    def thread_time(self) -> float:
        return self.cpu

    def monotonic(self) -> float:
        return self.wall

    def spend(self, *, working: float = 0.0, waiting: float = 0.0) -> None:
        self.cpu += working
        self.wall += working + waiting


def _readers(monkeypatch: pytest.MonkeyPatch, *, waiting_per_page: float) -> list[str]:
    """Which thread read each of ten jobs of three pages, each page 1 ms of work to read and
    1 ms to use, plus `waiting_per_page` seconds waiting for its answer."""
    clock = _Clock()
    monkeypatch.setattr(fetcher, "time", clock)
    read_by: dict[Window, str] = {}

    def pages(window: Window) -> Iterator[int]:
        read_by[window] = threading.current_thread().name
        for page in range(3):
            clock.spend(working=0.001, waiting=waiting_per_page)
            yield page

    windows = list(plan_windows(0, 100, 10))
    for _, window_pages in read_in_order(windows, pages, concurrency=4):
        for _ in window_pages:
            clock.spend(working=0.001)
    return [read_by[window] for window in windows]


def test_an_api_that_answers_at_once_is_read_one_job_at_a_time_without_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readers = _readers(monkeypatch, waiting_per_page=0.0002)
    assert set(readers) == {threading.current_thread().name}


def test_an_api_that_keeps_the_reader_waiting_gets_the_workers_after_the_first_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readers = _readers(monkeypatch, waiting_per_page=0.1)
    assert readers[0] == threading.current_thread().name
    assert all(name.startswith("page-reader-") for name in readers[1:])
