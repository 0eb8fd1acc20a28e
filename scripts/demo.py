"""`make demo`: the emulator, three `meltano run`s into DuckDB, and a summary a person can read.

1. Start the emulator in this process (the default synthetic organization: 3000 events over
   the 30 days to 2026-11-01) on a free loopback port, with its fake Admin key.
2. Run `meltano run tap-openai-audit target-duckdb` in Meltano's `demo` environment: its own
   state ids and DuckDB file, so a real bookmark is never touched. One run reads both scopes
   (organization and tenant) and writes the ledger `audit_log_reads` beside `audit_logs`.
3. Add new events and late ones (behind the bookmark, inside the lookback) and run again.
4. Add events backfilled three weeks late (far behind every bookmark), and run the reconcile
   extractor, which re-reads 30 days into the same tables.
5. Check the table against the emulator (every event once, no duplicate id), check that no key,
   e-mail or IP address reached a log, and print rows per run, events by type and by day,
   coverage and late arrivals read from the ledger, and the stored bookmarks.

Exits non-zero on any failure; the emulator always stops.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import TYPE_CHECKING

from demo_inventory import print_inventory, read_inventory
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
    stored_state,
)

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator

if TYPE_CHECKING:
    from pathlib import Path

ENVIRONMENT = "demo"
EXTRACTOR = "tap-openai-audit"
RECONCILE = "tap-openai-audit-reconcile"
EXTRACTORS = (EXTRACTOR, RECONCILE)
LOADER = "target-duckdb"
SCHEMA = "openai_audit"
DUCKDB_FILE = PROJECT_ROOT / "output" / "demo.duckdb"
LOADER_PYTHON = PROJECT_ROOT / ".meltano" / "loaders" / LOADER / "venv" / "bin" / "python"
LOG_DIR = PROJECT_ROOT / "output" / "demo-logs"
NEW_EVENTS = 40
LATE_EVENTS = 10
LATE_SECONDS = 300  # behind run 1's bookmark, inside the tap's default lookback of 3600 s
BACKFILLED = 30
BACKFILL_DAYS_AGO = 21  # three weeks behind every bookmark: only the reconcile run sees them
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
    pipeline = [EXTRACTOR, LOADER]
    reconcile = [RECONCILE, LOADER]
    print("tap-openai-audit demo: emulator -> Meltano -> DuckDB")
    print(f"  meltano --environment={ENVIRONMENT} run {' '.join(pipeline)}   (twice)")
    print(f"  meltano --environment={ENVIRONMENT} run {' '.join(reconcile)}\n")

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
        after_second = read_table(DUCKDB_FILE, SCHEMA, LOADER_PYTHON)
        _report_run(second, "incremental", new_rows=after_second.rows - after_first.rows)

        backfilled = post_json(
            emu.url.removesuffix("/v1") + "/_emulator/events",
            {"backfill": BACKFILLED, "backfill_seconds_ago": BACKFILL_DAYS_AGO * 86_400},
        )["added"]
        print(
            f"Emulator   +{BACKFILLED} events backfilled {BACKFILL_DAYS_AGO} days late "
            "(far behind the bookmark: the API lists them only now)"
        )
        third = _run(meltano_bin, env, reconcile, 3)
        table = read_table(DUCKDB_FILE, SCHEMA, LOADER_PYTHON)
        _report_run(third, "reconcile  ", new_rows=table.rows - after_second.rows)

        events = [*emu.ground_truth(), *emu.ground_truth(tenant_only=True)]
        _check_table(table, expected=len(events), added=len(added) + len(backfilled))
        _check_ledger(table, backfilled=len(backfilled))
        leaks = scan_logs(sorted(LOG_DIR.glob("*.log")), private_values(events, DEFAULT_ADMIN_KEY))
        if leaks:
            msg = f"a key, e-mail or IP address reached the logs: {', '.join(leaks)}"
            raise DemoError(msg)
        states = {ex: stored_state(meltano_bin, env, _state_id(ex)) for ex in EXTRACTORS}
        inventory = read_inventory(emu)
    _print_summary(table, states)
    print_inventory(inventory)


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
        # DuckDB takes the audit log; the inventory is summarized apart (demo_inventory.py).
        TAP_OPENAI_AUDIT__SELECT=json.dumps(["audit_logs.*", "audit_log_reads.*"]),
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
    if added != NEW_EVENTS + LATE_EVENTS + BACKFILLED:
        msg = f"the emulator added {added} events, not {NEW_EVENTS + LATE_EVENTS + BACKFILLED}"
        raise DemoError(msg)


def _check_ledger(table: TableSummary, *, backfilled: int) -> None:
    if {scope for scope, *_ in table.coverage} != {"organization", "tenant"}:
        msg = f"the ledger covers {table.coverage}, not both scopes"
        raise DemoError(msg)
    if table.gaps:
        msg = f"the ledger shows gaps in coverage: {table.gaps}"
        raise DemoError(msg)
    found = sum(after - before for *_, before, after in table.grown)
    if found != backfilled:
        msg = f"the ledger shows {found} late arrivals, the emulator backfilled {backfilled}"
        raise DemoError(msg)


def _print_summary(table: TableSummary, states: dict[str, dict[str, object]]) -> None:
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
    print(f"\nCoverage   from the ledger, {SCHEMA}.audit_log_reads")
    for scope, start, end, windows, runs in table.coverage:
        print(f"  {scope:<13} {start} -> {end}  {windows:>3} windows read in {runs} runs")
    print(f"  gaps: {'none' if not table.gaps else table.gaps}")
    print("\nLate arrivals: windows whose events grew when read again (from the ledger)")
    for scope, start, end, before, after in table.grown:
        print(
            f"  {scope:<13} {start} -> {end}  {before:>3} -> {after:>3} events  +{after - before}"
        )
    print(f"  total: +{sum(after - before for *_, before, after in table.grown)} events")
    print("\nStored state (meltano --environment=demo state get <id>)")
    for extractor, state in states.items():
        print(f"  {_state_id(extractor)}")
        print(f"    {json.dumps(state, sort_keys=True)}")
    print(
        f"\nLogs       {LOG_DIR.relative_to(PROJECT_ROOT)}/run-1.log, run-2.log, run-3.log: "
        "checked, no key, e-mail or IP address in them"
    )
    print("Next       README.md: real use with an Admin key, PostgreSQL, SQL examples")


if __name__ == "__main__":
    sys.exit(main())
