"""Small organizations, fault schedules and readings of a run's output, for the fault tests.

Every run here goes through `tests.tap_runs` (which refuses output carrying the Admin key) or
through `LiveRun`, which applies the same check and also looks for the key's masked form.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import urllib3

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, Fault, generate_events
from tap_openai_audit import client
from tap_openai_audit.timeutil import parse_rfc3339
from tests.tap_runs import TapRun, assert_no_secret, base_config, run_cli
from tests.tap_runs import bookmarks as scope_bookmarks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from pathlib import Path

DAY = 86_400
END = 1_793_491_200  # 2026-11-01T00:00:00Z
END_ISO = "2026-11-01T00:00:00Z"
# How the emulator echoes a key in a 401 (first 8 and last 4 characters).
MASKED_KEY = f"{DEFAULT_ADMIN_KEY[:8]}***{DEFAULT_ADMIN_KEY[-4:]}"
_RETRY_LINE = re.compile(r"retry (\d+) of (\d+) in ([\d.]+) s")


def iso(moment: int) -> str:
    from datetime import datetime, timezone  # noqa: PLC0415 - only this helper needs it

    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def small_org(*, seed: int = 7, days: int = 3, count: int = 400) -> list[dict[str, Any]]:
    """`count` events over the `days` days before END (tenant-scoped ones are not listed)."""
    return generate_events(seed=seed, count=count, start=END - days * DAY, end=END)


def config_for(url: str, *, days: int = 3, **settings: Any) -> dict[str, Any]:
    """Read the organization scope over the `days` days before END, one-day windows unless told
    otherwise. The fault schedules count this scope's requests; both scopes are read in
    `test_interruptions.py`'s per-scope test."""
    return base_config(
        url,
        start_date=iso(END - days * DAY),
        end_date=END_ISO,
        **{"scopes": ["organization"], **settings},
    )


def truth(emu: Emulator, *, gte: int, lt: int = END) -> set[str]:
    return {event["id"] for event in emu.ground_truth(gte=gte, lt=lt)}


def all_scopes_truth(emu: Emulator, *, gte: int, lt: int = END) -> set[str]:
    """The ids of both scopes."""
    both = emu.ground_truth(gte=gte, lt=lt) + emu.ground_truth(gte=gte, lt=lt, tenant_only=True)
    return {event["id"] for event in both}


def pages_in(emu: Emulator, *, gte: int, lt: int, page_size: int) -> int:
    """How many requests the tap needs for one window without faults."""
    return max(1, math.ceil(len(truth(emu, gte=gte, lt=lt)) / page_size))


def passes(count: int) -> list[Fault]:
    """Faults that change nothing: they let `count` requests through before the next fault."""
    return [Fault.slow(0)] * count


# Every run first sends one one-event request to learn the API's clock (its Date header).
CLOCK_PROBE = 1

# Where an in-process run sends its requests (see `served_in_process`): nothing listens there.
IN_PROCESS_URL = "http://127.0.0.1:9/v1"


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: urllib3.HTTPHeaderDict
    data: bytes


class InProcessPool:
    """The client's connection pool, answered by an emulator in this process: no server, no socket.

    What the emulator's HTTP layer adds is added here too (Content-Type, a request id, a `Date`
    from the emulated API's clock); a fault that drops the connection raises what urllib3
    raises for one.
    """

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._ids = itertools.count()

    def request(self, method: str, url: str, *, headers: Mapping[str, str], **_: object) -> _Answer:
        split = urlsplit(url)
        target = f"{split.path}?{split.query}" if split.query else split.path
        answer = self._emulator.dispatch(method, target, headers.items(), b"")
        if answer.body is None:
            dropped = "Connection aborted."  # what urllib3 says of a connection closed early
            raise urllib3.exceptions.ProtocolError(dropped, ConnectionResetError())
        fields = urllib3.HTTPHeaderDict(answer.headers)
        fields["Content-Type"] = answer.content_type
        fields["x-request-id"] = f"req_in_process_{next(self._ids)}"
        if self._emulator.send_date:
            fields["Date"] = formatdate(self._emulator.now(), usegmt=True)
        return _Answer(answer.status, fields, answer.body)

    def clear(self) -> None:
        """Nothing to close."""


@contextmanager
def served_in_process(emulator: Emulator) -> Iterator[str]:
    """Tap runs of this process reach `emulator` (never started) through `InProcessPool`.

    Yields:
        The api_url to give them.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client, "connection_pool", lambda *_, **__: InProcessPool(emulator))
        yield IN_PROCESS_URL


def retries(stderr: str) -> list[tuple[int, int, float]]:
    """The `retry N of M in S s` warnings: (N, M, S) each."""
    return [(int(n), int(m), float(s)) for n, m, s in _RETRY_LINE.findall(stderr)]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def seconds(value: str) -> int:
    return int(parse_rfc3339(value).timestamp())


def bookmarks(states: Iterable[dict[str, Any]]) -> list[int]:
    """Every bookmark the states carry, as Unix seconds, in the order emitted."""
    return bookmarks_of("organization", states)


def bookmarks_of(scope: str, states: Iterable[dict[str, Any]]) -> list[int]:
    """Every bookmark of `scope` the states carry, as Unix seconds, in the order emitted."""
    found = []
    for state in states:
        value = scope_bookmarks(state).get(scope)
        if value is not None:
            found.append(seconds(value))
    return found


def window_start(query: tuple[tuple[str, str], ...]) -> int:
    return int(dict(query)["effective_at[gte]"])


def is_window(query: tuple[tuple[str, str], ...]) -> bool:
    """A window's request, not a one-event probe (the clock, the history's beginning)."""
    return "effective_at[gte]" in dict(query)


def run_tap(
    tmp_path: Path,
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> TapRun:
    """`run_cli`, also refusing output that carries the key's masked form."""
    run = run_cli(tmp_path, config, state=state, args=args)
    assert_no_key_trace(run.stdout + run.stderr)
    return run


def assert_no_key_trace(text: str) -> None:
    """Neither the Admin key nor the masked form the API echoes may appear."""
    assert_no_secret(text)
    assert MASKED_KEY not in text, "the masked Admin key appeared in the tap's output"


@dataclass
class LiveRun:
    """The CLI running in the background, its stdout read line by line as it comes."""

    process: subprocess.Popen[str]
    stderr_path: Path
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls, tmp_path: Path, config: dict[str, Any], state: dict[str, Any] | None = None
    ) -> LiveRun:
        config_path = tmp_path / "live-config.json"
        config_path.write_text(json.dumps(config))
        command = [sys.executable, "-m", "tap_openai_audit", "--config", str(config_path)]
        if state is not None:
            state_path = tmp_path / "live-state.json"
            state_path.write_text(json.dumps(state))
            command += ["--state", str(state_path)]
        stderr_path = tmp_path / "live-stderr.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TAP_OPENAI"))}
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
            )
        return cls(process, stderr_path)

    @property
    def messages(self) -> list[dict[str, Any]]:
        # A line cut by a kill has no newline: a target would not have read it either.
        return [json.loads(line) for line in self.lines if line.endswith("\n")]

    @property
    def ids(self) -> list[str]:
        return [
            m["record"]["id"]
            for m in self.messages
            if m["type"] == "RECORD" and m["stream"] == "audit_logs"
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    def read_until(self, done: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Read stdout until `done(messages so far)` holds; fail if the run ends first."""
        assert self.process.stdout is not None
        messages: list[dict[str, Any]] = []
        for line in self.process.stdout:
            self.lines.append(line)
            messages.append(json.loads(line))
            if done(messages):
                return
        msg = "the run ended before the moment to interrupt it"
        raise AssertionError(msg)

    def stop(self, signal_number: int) -> tuple[int, str]:
        """Send the signal, read what was already written, and return (exit code, stderr)."""
        self.process.send_signal(signal_number)
        assert self.process.stdout is not None
        with self.process.stdout:  # closed once read: no pipe left to the garbage collector
            self.lines.extend(self.process.stdout)
        returncode = self.process.wait(timeout=30)
        stderr = self.stderr_path.read_text()
        assert_no_key_trace("".join(self.lines) + stderr)
        return returncode, stderr
