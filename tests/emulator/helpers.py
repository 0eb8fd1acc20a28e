"""Small HTTP helpers for talking to the emulator without a client library."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

LIST = "/organization/audit_logs"


def get(
    emu: Emulator,
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    *,
    key: str | None = DEFAULT_ADMIN_KEY,
    path: str = LIST,
    timeout: float = 5.0,
) -> requests.Response:
    """GET a path under the emulator's /v1 with a bearer key (None: no Authorization)."""
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return requests.get(emu.url + path, params=params, headers=headers, timeout=timeout)


def page_ids(response: requests.Response) -> list[str]:
    """Return the ids of a list page."""
    return [event["id"] for event in response.json()["data"]]


def control_url(emu: Emulator, path: str) -> str:
    """Return the URL of a control endpoint, e.g. ``control_url(emu, "stats")``."""
    return emu.url.removesuffix("/v1") + "/_emulator/" + path


@contextmanager
def emulator_command(*options: str) -> Iterator[subprocess.Popen[str]]:
    """`openai-audit-emulator <options>` in a subprocess; killed if still running, pipes closed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_audit_emulator", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        process.stderr.close()
