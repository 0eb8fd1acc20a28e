"""`make demo`: the emulator, two `meltano run`s into DuckDB, and a summary a person can read.

1. Start the emulator in this process (the default synthetic organization: 3000 events over
   the 30 days to 2026-11-01) on a free loopback port, with its fake Admin key.
2. Run `meltano run tap-openai-audit target-duckdb tap-openai-audit-tenant target-duckdb` in
   Meltano's `demo` environment: its own state ids and DuckDB file, so a real bookmark is never
   touched. The second extractor collects the tenant-scoped events, which the API returns only
   when they are asked for alone.
3. Add new events and late ones (behind the bookmark, inside the lookback) and run again.
4. Check the table against the emulator (every event once, no duplicate id), check that no key,
   e-mail or IP address reached a log, and print rows per run, events by type and by day, and
   the stored bookmarks.

Exits non-zero on any failure; the emulator always stops.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TYPE_CHECKING

from demo_support import (
    PROJECT_ROOT,
    DemoError,
    MeltanoRun,
    TableSummary,
    find_meltano,
    meltano,
    post_json,
    private_values,
    read_table,
    records_read,
    scan_logs,
    stored_bookmark,
)

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator

if TYPE_CHECKING:
    from pathlib import Path

ENVIRONMENT = "demo"
EXTRACTORS = ("tap-openai-audit", "tap-openai-audit-tenant")
LOADER = "target-duckdb"
SCHEMA = "openai_audit"
DUCKDB_FILE = PROJECT_ROOT / "output" / "demo.duckdb"
LOADER_PYTHON = PROJECT_ROOT / ".meltano" / "loaders" / LOADER / "venv" / "bin" / "python"
LOG_DIR = PROJECT_ROOT / "output" / "demo-logs"
NEW_EVENTS = 40
LATE_EVENTS = 10
LATE_SECONDS = 300  # behind run 1's bookmark, inside the tap's default lookback of 600 s
BAR_WIDTH = 40


def main() -> int:
    """Run the demo; return the exit status."""
    try:
        run_demo()
    except DemoError as error:
        print(f"\ndemo FAILED: {error}", file=sys.stderr)
        return 1
    return 0


def run_demo() -> None:
    """Do the whole demo; raise DemoError on the first thing that goes wrong."""
    meltano_bin = find_meltano()
    DUCKDB_FILE.parent.mkdir(exist_ok=True)
    DUCKDB_FILE.unlink(missing_ok=True)
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    pipeline = [part for extractor in EXTRACTORS for part in (extractor, LOADER)]
    print("tap-openai-audit demo: emulator -> Meltano -> DuckDB")
    print(f"  meltano --environment={ENVIRONMENT} run {' '.join(pipeline)}\n")

    with Emulator() as emu:
        env = _meltano_env(emu.url)
        for extractor in EXTRACTORS:  # the demo starts from scratch every time
            meltano(meltano_bin, env, "state", "clear", "--force", _state_id(extractor))
        events = [*emu.ground_truth(), *emu.ground_truth(tenant_only=True)]
        print(f"Emulator   {emu.url}: {len(events):,} synthetic events, fake Admin key")

        first = _run(meltano_bin, env, pipeline, 1)
        after_first = read_table(DUCKDB_FILE, SCHEMA, LOADER_PYTHON)
        _report_run(first, "full       ", new_rows=after_first.rows)

        added = post_json(
            emu.url.removesuffix("/v1") + "/_emulator/events",
            {"count": NEW_EVENTS, "late": LATE_EVENTS, "late_seconds": LATE_SECONDS},
        )["added"]
        print(
            f"Emulator   +{NEW_EVENTS} new events (last minute), +{LATE_EVENTS} late events "
            f"({LATE_SECONDS // 60} minutes old: behind the bookmark, inside the lookback)"
        )
        second = _run(meltano_bin, env, pipeline, 2)
        table = read_table(DUCKDB_FILE, SCHEMA, LOADER_PYTHON)
        _report_run(second, "incremental", new_rows=table.rows - after_first.rows)

        events = [*emu.ground_truth(), *emu.ground_truth(tenant_only=True)]
        _check_table(table, expected=len(events), added=len(added))
        leaks = scan_logs(sorted(LOG_DIR.glob("*.log")), private_values(events, DEFAULT_ADMIN_KEY))
        if leaks:
            msg = f"a key, e-mail or IP address reached the logs: {', '.join(leaks)}"
            raise DemoError(msg)
        bookmarks = {ex: stored_bookmark(meltano_bin, env, _state_id(ex)) for ex in EXTRACTORS}
    _print_summary(table, bookmarks)


def _meltano_env(api_url: str) -> dict[str, str]:
    env = dict(os.environ)
    # A real key or setting exported for real runs must not leak into the demo (nor the
    # emulator's fake key into a real run): drop them all and set only what the demo needs.
    for name in list(env):
        if name.startswith(("TAP_OPENAI_AUDIT", "OPENAI_")):
            del env[name]
    env.update(
        MELTANO_ENVIRONMENT=ENVIRONMENT,
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        TAP_OPENAI_AUDIT_API_URL=api_url,
        TAP_OPENAI_AUDIT_ADMIN_API_KEY=DEFAULT_ADMIN_KEY,
    )
    return env


def _state_id(extractor: str) -> str:
    return f"{ENVIRONMENT}:{extractor}-to-{LOADER}"


def _run(meltano_bin: Path, env: dict[str, str], pipeline: list[str], number: int) -> MeltanoRun:
    log = LOG_DIR / f"run-{number}.log"
    started = time.monotonic()
    meltano(meltano_bin, env, "run", "--install", *pipeline, log=log)
    return MeltanoRun(number, time.monotonic() - started, records_read(log), log)


def _report_run(run: MeltanoRun, mode: str, *, new_rows: int) -> None:
    read = "?" if run.records is None else f"{run.records:,}"
    print(
        f"Run {run.number}      {mode} {read:>6} records read, {new_rows:>6,} new rows "
        f"({run.seconds:.1f} s)"
    )


def _check_table(table: TableSummary, *, expected: int, added: int) -> None:
    if table.rows != table.distinct_ids:
        msg = f"the table holds duplicate ids: {table.rows} rows, {table.distinct_ids} ids"
        raise DemoError(msg)
    if table.rows != expected:
        msg = f"the table holds {table.rows} events, the emulator {expected}"
        raise DemoError(msg)
    if added != NEW_EVENTS + LATE_EVENTS:
        msg = f"the emulator added {added} events, not {NEW_EVENTS + LATE_EVENTS}"
        raise DemoError(msg)


def _print_summary(table: TableSummary, bookmarks: dict[str, str]) -> None:
    print(
        f"\nTable      {SCHEMA}.audit_logs in {DUCKDB_FILE.relative_to(PROJECT_ROOT)}: "
        f"{table.rows:,} rows, {table.distinct_ids:,} distinct ids = the emulator's events"
    )
    print(f"\nEvents by type (top {len(table.by_type)})")
    width = max(len(name) for name, _ in table.by_type)
    for name, count in table.by_type:
        print(f"  {name:<{width}}  {count:>5,}")
    print("\nEvents by day (UTC)")
    peak = max(count for _, count in table.by_day)
    for day, count in table.by_day:
        print(f"  {day}  {count:>5,}  {'#' * max(1, round(count / peak * BAR_WIDTH))}")
    print("\nStored bookmarks (meltano --environment=demo state get <id>)")
    for extractor, bookmark in bookmarks.items():
        print(f"  {_state_id(extractor):<45}  effective_at < {bookmark}")
    print(
        f"\nLogs       {LOG_DIR.relative_to(PROJECT_ROOT)}/run-1.log, run-2.log: "
        "checked, no key, e-mail or IP address in them"
    )
    print("Next       README.md: real use with an Admin key, PostgreSQL, SQL examples")


if __name__ == "__main__":
    sys.exit(main())
