"""The access inventory's part of `make demo`: one snapshot, one summary line per stream.

The tap reads the 19 snapshot streams from the emulator (the audit log is deselected), and
each line gives the rows it emitted and the requests the stream cost. They are read by the
tap, not loaded into DuckDB: target-duckdb 0.8.0 cannot load a top-level string into the JSON
columns these any-JSON fields get (README, "The embedded loader: DuckDB").
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from demo_support import DemoError

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from openai_audit_emulator.inventory_api import match
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.tap import TapOpenAIAudit

STREAMS = [endpoint.stream for endpoint in ENDPOINTS]


def read_inventory(emu: Emulator) -> list[tuple[str, int, int]]:
    """Take one snapshot of `emu`'s organization: (stream, rows, requests) per stream."""
    config = {"admin_api_key": DEFAULT_ADMIN_KEY, "api_url": emu.url}
    catalog = TapOpenAIAudit(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in STREAMS
    before = emu.data_request_count
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog))
        done = subprocess.run(
            [
                sys.executable,
                *("-m", "tap_openai_audit"),
                *("--config", str(config_path), "--catalog", str(catalog_path)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        msg = f"the inventory snapshot failed: {done.stderr.strip().splitlines()[-1:]}"
        raise DemoError(msg)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    rows = Counter(m["stream"] for m in messages if m["type"] == "RECORD")
    activated = {m["stream"] for m in messages if m["type"] == "ACTIVATE_VERSION"}
    if activated != set(STREAMS):
        msg = f"snapshots not activated: {sorted(set(STREAMS) - activated)}"
        raise DemoError(msg)
    requests = Counter(
        found[0].name for r in emu.requests[before:] if (found := match(r.path)) is not None
    )
    return [(stream, rows[stream], requests[stream]) for stream in STREAMS]


def print_inventory(lines: list[tuple[str, int, int]]) -> None:
    """The summary's inventory block: one line per stream."""
    print("\nInventory  one snapshot of the organization (rows, requests), deletions activated")
    width = max(len(stream) for stream, _, _ in lines)
    for stream, rows, requests in lines:
        print(f"  {stream:<{width}}  {rows:>4,} rows  {requests:>3} requests")
    print(
        f"  total: {sum(r for _, r, _ in lines):,} rows in "
        f"{sum(q for *_, q in lines)} requests (README: 7 + 5 P + 2 A + U + 2 G + PU + PG)"
    )
