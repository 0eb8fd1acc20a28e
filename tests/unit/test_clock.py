from __future__ import annotations

from tap_openai_audit.audit_log.clock import run_upper_bound


def test_the_upper_bound_is_never_past_the_apis_clock() -> None:
    assert run_upper_bound(local_now=1000, end=None, api_now=900) == 900  # local clock fast
    assert run_upper_bound(local_now=1000, end=None, api_now=1100) == 1000  # local clock slow
    assert run_upper_bound(local_now=1000, end=950, api_now=900) == 900
    assert run_upper_bound(local_now=1000, end=800, api_now=900) == 800
    assert run_upper_bound(local_now=1000, end=None, api_now=None) == 1000
