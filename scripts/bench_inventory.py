"""`make bench` (inventory part): one access-inventory snapshot, its speed-up and its memory.

1. An organization of 200 projects, 2,000 users and 50 groups, served with 100 ms added to
   every request: the snapshot's wall time at `max_concurrency` 1 and 4, and the speed-up
   (target: at least 3.5x at 4).
2. Peak RSS of the tap for that organization and for one ten times larger (2,000 projects,
   20,000 users, 500 groups), without added latency (target: flat, the ratio near 1).

The emulator runs in its own process (`--serve` below), so it never shares a GIL with the tap;
the tap runs as `tap-openai-audit --config ... --catalog ...` with only the 19 snapshot streams
selected, its output counted and thrown away. Peak RSS is the tap's own `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from openai_audit_emulator.actors import build_organization
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.tap import TapOpenAIAudit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench" / "inventory"
TAP = Path(sys.executable).parent / "tap-openai-audit"
STREAMS = {endpoint.stream for endpoint in ENDPOINTS}
LATENCY = 0.1
TARGET_SPEEDUP = 3.5
FLAT = 1.5  # peak RSS may grow by less than this factor when the organization grows tenfold
MIB = 1024.0  # ru_maxrss is in KiB on Linux
BASE = {"projects": 200, "users": 2000, "groups": 50}


def serve(projects: int, users: int, groups: int, latency: float) -> None:
    """Serve an organization of this size until killed; print the base URL first."""
    organization = build_organization(
        random.Random(f"bench-inventory:{projects}:{users}:{groups}"),  # noqa: S311 - test data
        users=users,
        projects=projects,
        groups=groups,
    )
    with Emulator([], organization=organization, latency=latency) as emu:
        print(emu.url, flush=True)
        while True:
            time.sleep(3600)


class Served:
    """An emulator process for one organization size."""

    def __init__(self, size: dict[str, int], latency: float) -> None:
        """Start serving; the URL is read from the child's first line."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                *(str(size[key]) for key in ("projects", "users", "groups")),
                str(latency),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None  # noqa: S101 - set by PIPE above
        self.url = self.process.stdout.readline().strip()

    def data_requests(self) -> int:
        """How many data requests the emulator has served."""
        stats_url = self.url.removesuffix("/v1") + "/_emulator/stats"
        with urllib.request.urlopen(stats_url, timeout=10) as answer:  # noqa: S310 - loopback
            stats: dict[str, int] = json.loads(answer.read())
        return stats["data_requests"]

    def stop(self) -> None:
        """Stop the emulator process."""
        self.process.terminate()
        self.process.wait(timeout=30)


def snapshot(served: Served, concurrency: int) -> dict[str, Any]:
    """One inventory snapshot by the tap: wall time, peak RSS, records, requests."""
    WORK.mkdir(parents=True, exist_ok=True)
    config = {
        "admin_api_key": DEFAULT_ADMIN_KEY,
        "api_url": served.url,
        "max_concurrency": concurrency,
    }
    catalog = TapOpenAIAudit(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in STREAMS
    config_path, catalog_path = WORK / "config.json", WORK / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog))
    output = WORK / "output.jsonl"
    before = served.data_requests()
    started = time.monotonic()
    with output.open("wb") as sink:
        child = subprocess.Popen(
            [str(TAP), "--config", str(config_path), "--catalog", str(catalog_path)],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        msg = f"the tap failed at max_concurrency {concurrency}"
        raise SystemExit(msg)
    records = activated = 0
    with output.open("rb") as lines:
        for line in lines:
            records += line.startswith(b'{"type":"RECORD"')
            activated += line.startswith(b'{"type":"ACTIVATE_VERSION"')
    output.unlink()
    return {
        "wall": wall,
        "rss": usage.ru_maxrss / MIB,
        "records": records,
        "activated": activated,
        "requests": served.data_requests() - before,
    }


def main() -> int:
    """Print both sections; exit 1 when a target is missed."""
    print("Access inventory: one snapshot of the 19 streams (tap-openai-audit, subprocess)")
    served = Served(BASE, LATENCY)
    try:
        runs = {n: snapshot(served, n) for n in (1, 4)}
    finally:
        served.stop()
    speedup = runs[1]["wall"] / runs[4]["wall"]
    print(
        f"\n1. {BASE['projects']} projects, {BASE['users']:,} users, {BASE['groups']} groups, "
        f"{LATENCY * 1000:.0f} ms per request"
    )
    print("  max_concurrency   wall s   requests   records   ACTIVATE_VERSION")
    for n, run in runs.items():
        print(
            f"  {n:>15}   {run['wall']:>6.1f}   {run['requests']:>8,}   {run['records']:>7,}"
            f"   {run['activated']:>16}"
        )
    speed_ok = speedup >= TARGET_SPEEDUP and runs[1]["records"] == runs[4]["records"]
    print(
        f"  speed-up at 4: {speedup:.2f}x (target >= {TARGET_SPEEDUP}x) "
        f"{'PASS' if speed_ok else 'FAIL'}"
    )
    big = {key: value * 10 for key, value in BASE.items()}
    sizes = {"1x": BASE, "10x": big}
    memory = {}
    for name, size in sizes.items():
        served = Served(size, 0.0)
        try:
            memory[name] = snapshot(served, 4)
        finally:
            served.stop()
    ratio = memory["10x"]["rss"] / memory["1x"]["rss"]
    print("\n2. Peak RSS of the tap, max_concurrency 4, no added latency")
    print("  organization                             peak RSS MiB   requests    records   wall s")
    for name, size in sizes.items():
        run = memory[name]
        label = (
            f"{name}: {size['projects']:,} projects, {size['users']:,} users, "
            f"{size['groups']} groups"
        )
        print(
            f"  {label:<40} {run['rss']:>12.1f}   {run['requests']:>8,}   {run['records']:>8,}"
            f"   {run['wall']:>6.1f}"
        )
    memory_ok = ratio < FLAT
    print(f"  10x / 1x: {ratio:.2f} (flat: < {FLAT}) {'PASS' if memory_ok else 'FAIL'}")
    return 0 if speed_ok and memory_ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=4, metavar=("PROJECTS", "USERS", "GROUPS", "LATENCY"))
    arguments = parser.parse_args()
    if arguments.serve:
        projects, users, groups, latency = arguments.serve
        serve(int(projects), int(users), int(groups), float(latency))
    else:
        sys.exit(main())
