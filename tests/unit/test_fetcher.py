import threading
import time
from collections.abc import Iterator

import pytest

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
    monkeypatch.setattr(fetcher, "PAGES_BUFFERED_PER_WINDOW", 3)
    produced = 0
    lock = threading.Lock()

    def pages(_: Window) -> Iterator[int]:
        nonlocal produced
        for page in range(50):
            with lock:
                produced += 1
            yield page

    reader = read_in_order(plan_windows(0, 100, 10), pages, concurrency=4)
    _, first_pages = next(reader)
    next(first_pages)
    time.sleep(0.3)  # let every worker run as far ahead as it is allowed to
    # 2 windows ahead per worker, each holding at most 3 pages (+1 in a worker's hand).
    assert produced <= 4 * 2 * (3 + 1) + 1
    reader.close()
