from tap_openai_audit.audit_log.windows import Window, count_windows, lower_bound, plan_windows


def test_windows_cover_the_range_consecutively_oldest_first() -> None:
    windows = list(plan_windows(100, 350, 100))
    assert windows == [Window(100, 200), Window(200, 300), Window(300, 350)]
    assert count_windows(100, 350, 100) == 3


def test_inner_boundaries_sit_on_the_grid_of_the_window_size() -> None:
    # Two runs reading overlapping ranges read the same windows where they overlap.
    first = list(plan_windows(95, 330, 100))
    again = list(plan_windows(150, 400, 100))
    assert first == [Window(95, 100), Window(100, 200), Window(200, 300), Window(300, 330)]
    assert again == [Window(150, 200), Window(200, 300), Window(300, 400)]
    assert set(first) & set(again) == {Window(200, 300)}
    for lower, upper, size in [(95, 330, 100), (3, 1000, 7), (0, 1, 1), (5, 6, 10)]:
        assert count_windows(lower, upper, size) == len(list(plan_windows(lower, upper, size)))


def test_an_empty_range_has_no_windows() -> None:
    assert list(plan_windows(500, 500, 10)) == []
    assert count_windows(500, 400, 10) == 0


def test_lower_bound_rereads_the_lookback_and_the_bookmarks_own_second() -> None:
    assert lower_bound(bookmark=1000, start=None, lookback=600) == 400
    assert lower_bound(bookmark=1000, start=None, lookback=0) == 1000  # gte: the second itself


def test_lower_bound_never_goes_before_start_date() -> None:
    assert lower_bound(bookmark=1000, start=900, lookback=600) == 900


def test_first_run_starts_at_start_date_or_asks_for_discovery() -> None:
    assert lower_bound(bookmark=None, start=123, lookback=600) == 123
    assert lower_bound(bookmark=None, start=None, lookback=600) is None
