"""Helpers of `scripts/demo.py`: running Meltano, reading its results, checking the logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The SDK logs one counter per stream and interval: `METRIC: {... "metric": "record_count",
# "value": 123, ...}`; Meltano relays it line by line, and renders it as `metric_name=record_count
# metric_value=123` for a plugin with the `structured-logging` capability (the tap). Their sum
# is the records a run read.
_RECORD_COUNT = re.compile(
    r'"metric":\s*"record_count",\s*"value":\s*(\d+)'
    r"|metric_name=record_count\b[^\n]*?metric_value=(\d+)"
)
_TAIL_CHARS = 2000


class DemoError(Exception):
    """Something went wrong; the message says what and where to look."""


@dataclass(frozen=True)
class MeltanoRun:
    """One `meltano run`: its number, wall time, records read and log file."""

    number: int
    seconds: float
    records: int | None
    log: Path


def find_meltano() -> Path:
    """Meltano from `MELTANO_BIN` (set by make), else the project's `.venv-meltano`."""
    configured = os.environ.get("MELTANO_BIN")
    path = Path(configured) if configured else PROJECT_ROOT / ".venv-meltano" / "bin" / "meltano"
    if not path.exists():
        msg = f"Meltano not found at {path}: run `make meltano` (or `make demo`) first"
        raise DemoError(msg)
    return path


def meltano(meltano_bin: Path, env: Mapping[str, str], *args: str, log: Path | None = None) -> str:
    """Run Meltano in the project root; return its stdout, or raise with the log's tail.

    With `log`, stdout and stderr go to that file (Meltano relays every plugin log line, which
    is far too much for a terminal) and the function returns "".
    """
    command = [str(meltano_bin), *args]
    if log is None:
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=dict(env), capture_output=True, text=True, check=False
        )
        output, errors = done.stdout, done.stderr
    else:
        with log.open("w", encoding="utf-8") as sink:
            done = subprocess.run(
                command,
                cwd=PROJECT_ROOT,
                env=dict(env),
                stdout=sink,
                stderr=sink,
                text=True,
                check=False,
            )
        output, errors = "", log.read_text(encoding="utf-8")
    if done.returncode != 0:
        where = f" (full log: {log.relative_to(PROJECT_ROOT)})" if log else ""
        tail = errors[-_TAIL_CHARS:]
        msg = f"`meltano {' '.join(args)}` exited {done.returncode}{where}:\n{tail}"
        raise DemoError(msg)
    return output


def records_read(log: Path) -> int | None:
    """Records the taps reported in a run's log (None when the log holds no counter)."""
    found = _RECORD_COUNT.findall(log.read_text(encoding="utf-8"))
    counts = [int(as_json or as_keys) for as_json, as_keys in found]
    return sum(counts) if counts else None


def stored_state(meltano_bin: Path, env: Mapping[str, str], state_id: str) -> dict[str, Any]:
    """The singer state Meltano holds for `state_id`, with a bookmark for every scope."""
    output = meltano(meltano_bin, env, "state", "get", state_id)
    try:
        state: dict[str, Any] = json.loads(output)["singer_state"]
        partitions = state["bookmarks"]["audit_logs"]["partitions"]
        if {p["context"]["scope"] for p in partitions if "replication_key_value" in p} != {
            "organization",
            "tenant",
        }:
            missing = "a scope's bookmark"
            raise KeyError(missing)  # noqa: TRY301 - reported below like any missing key
    except (ValueError, KeyError, TypeError) as error:
        msg = f"Meltano holds no audit_logs bookmark for {state_id}: {output.strip()[:300]!r}"
        raise DemoError(msg) from error
    return state


def post_json(url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST a JSON object to the emulator's control endpoint; return its JSON answer."""
    request = urllib.request.Request(  # noqa: S310 - the URL is the emulator's, on loopback
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - as above
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def private_values(events: Iterable[Mapping[str, Any]], key: str) -> set[str]:
    """The key, and every e-mail and IP address in the events: none may reach a log."""
    found = {key}

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if name in {"email", "ip_address"} and isinstance(item, str) and item:
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for event in events:
        walk(event)
    return found


def redact(text: str, private: set[str]) -> str:
    """`text` with every private value in it replaced by [redacted]."""
    for value in private:
        if value in text:
            text = text.replace(value, "[redacted]")
    return text


def scan_logs(logs: Iterable[Path], private: set[str]) -> list[str]:
    """The log files (by name) that contain any of the private values."""
    return [log.name for log in logs if any(v in log.read_text(encoding="utf-8") for v in private)]
