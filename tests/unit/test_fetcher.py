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
    # Later windows answer faster, so a concurrent reader finishes them first.
    for second in range(window.start, window.end, 5):
        time.sleep(0.001 * (40 - window.start // 10))
        yield [second]


@pytest.mark.parametrize("concurrency", [1, 2, 4, 8])
def test_windows_come_back_oldest_first_with_their_pages_in_order(concurrency: int) -> None:
    seen: list[tuple[Window, list[list[int]]]] = [
        (window, list(pages))
        for window, pages in read_in_order(
            plan_windows(0, 400, 10), _pages, concurrency=concurrency
        )
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

    reader = read_in_order(plan_windows(0, 100, 10), pages, concurrency=workers)
    _, first_pages = next(reader)
    next(first_pages)
    with progress:
        # Every worker holds a window of its own; once each has met a full buffer, none can
        # read more until pages are taken: the count is final, and must be the bound.
        assert progress.wait_for(lambda: len(full) == workers, timeout=30)
        # The page taken, and per worker a full buffer plus the page it waits to put.
        assert produced == 1 + workers * (buffered + 1)
    reader.close()
