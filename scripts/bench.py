"""`make bench`: throughput, peak memory and concurrency figures of the tap, from one run.

Every figure comes from child processes: the emulator (`openai-audit-emulator`) runs as its own
process, so it never shares a GIL with what is measured, and the tap
(`tap-openai-audit --config ...`) and the bare loop (`scripts/bench_bare.py`) run as
subprocesses. Wall times include process start for both. Peak RSS is each child's own
`ru_maxrss`, read with `os.wait4`. Variants are interleaved round by round and reported as
median and range. Working files go to `.bench/` (ignored by git, removed by `make clean`).

Sections:

1. CPU time (user + system, from `wait4`) of the tap against the bare loop over the same 30k
   events of both scopes, start-up included, and their ratio (issue 17 target: at least
   0.65). The tap reads what the bare loop reads: `audit_logs` and its ledger
   (`audit_log_reads`), the inventory deselected. Beside it, the same tap with the SDK's own
   record path (`bench_sdk_record_path.py`): what the tap's one private record-path override
   is worth.
2. Records per second of the tap (output to /dev/null) against the bare loop over the same
   pages, and their ratio (issue 4 target: at least 0.5).
3. Peak RSS of the tap at about 100k and about 1M emitted records.
4. Wall time of a backfill with the emulator adding 100 ms to each page, `max_concurrency`
   1 (sequential), 2, 4 and 8, as speed-ups (target: at least 3.5x at 4).
5. Equality: every tap variant emits the same records (ids, order and bytes, `time_extracted`
   aside) and the same final STATE, and the bare loop the same ids. Exits 1 on FAIL.

Every tap run here reads the audit log and its ledger only, as the bare loop does; the
inventory has its own bench (`bench_inventory.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson
from typing_extensions import Self

from openai_audit_emulator import DEFAULT_END

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
BIN = Path(sys.executable).parent
TAP = BIN / "tap-openai-audit"
EMULATOR = BIN / "openai-audit-emulator"
BARE = ROOT / "scripts" / "bench_bare.py"
SDK_RECORD_PATH = ROOT / "scripts" / "bench_sdk_record_path.py"

END = DEFAULT_END  # where the emulator's default organization ends
END_TEXT = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END))
DAY = 86_400
SEED = 1
CHILD_TIMEOUT = 900.0
MIB = 1024.0  # ru_maxrss is in KiB on Linux

RATIO_TARGET = 0.5
CPU_RATIO_TARGET = 0.65
SPEEDUP_TARGET = 3.5
SPEEDUP_TARGET_AT = 4
SCOPES = 2  # organization and tenant: a default run reads both
AUDIT_LOG_STREAMS = ("audit_logs", "audit_log_reads")


@dataclass(frozen=True)
class Dataset:
    """What the emulator serves and how the tap reads it."""

    events: int
    days: int
    window_days: int
    latency_ms: int = 0

    @property
    def start(self) -> int:
        """First second of the history, inclusive."""
        return END - self.days * DAY


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU time, peak RSS, pages it requested, its output."""

    wall: float
    rss_mib: float
    pages: int
    stdout: Path | None
    stderr: Path
    cpu: float = 0.0  # user + system seconds, every thread of the child


@dataclass(frozen=True)
class Output:
    """What a run emitted: record ids in order, a digest of its RECORD lines, the last STATE."""

    ids: list[str]
    digest: str
    state: Any
    ledger_rows: int


@dataclass
class Checks:
    """The equality checks, each a name and whether it held."""

    results: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, name: str, *, ok: bool) -> None:
        """Record one check."""
        self.results.append((name, ok))

    @property
    def passed(self) -> bool:
        """Whether every check held."""
        return all(ok for _, ok in self.results)


class BenchError(RuntimeError):
    """A child failed; the figures would be meaningless."""


class EmulatorProcess:
    """`openai-audit-emulator` as a child process, from start to SIGTERM."""

    def __init__(self, dataset: Dataset, name: str) -> None:
        """Prepare the command; nothing starts before `with`."""
        self.dataset = dataset
        self.log = WORK / f"emulator-{name}.err"
        self.url = ""
        self.key = ""
        self.startup = 0.0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        """Start the emulator and wait for its URL line."""
        argv = [
            str(EMULATOR),
            "--port=0",
            f"--events={self.dataset.events}",
            f"--days={self.dataset.days}",
            f"--seed={SEED}",
            f"--end={END_TEXT}",
            f"--latency-ms={self.dataset.latency_ms}",
        ]
        started = time.perf_counter()
        with self.log.open("w") as log:
            self._proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True)
        assert self._proc.stdout is not None  # noqa: S101 - stdout=PIPE
        line = self._proc.stdout.readline()
        self.startup = time.perf_counter() - started
        match = re.search(r" at (\S+) admin_api_key=(\S+)", line)
        if match is None:
            self._stop()
            msg = f"the emulator did not start: {line!r}; see {self.log}"
            raise BenchError(msg)
        self.url, self.key = match.group(1), match.group(2)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the emulator (SIGTERM, then SIGKILL after 30 s)."""
        self._stop()

    def _stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None

    def data_requests(self) -> int:
        """How many data requests (pages) the emulator has answered so far."""
        root = self.url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=10) as response:  # noqa: S310 - our own loopback URL
            stats: dict[str, int] = orjson.loads(response.read())
        return stats["data_requests"]

    def tap_config(self, name: str, **settings: object) -> Path:
        """Write a tap config reading the whole dataset; `settings` override the defaults."""
        config: dict[str, object] = {
            "api_url": self.url,
            "admin_api_key": self.key,
            "start_date": _rfc3339(self.dataset.start),
            "end_date": END_TEXT,
            "window_size_days": self.dataset.window_days,
            **settings,
        }
        path = WORK / f"config-{name}.json"
        path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
        return path

    def bare_argv(self) -> list[str]:
        """The bare loop's command over the same windows as the tap."""
        return [
            sys.executable,
            str(BARE),
            f"--url={self.url}",
            f"--key={self.key}",
            f"--start={self.dataset.start}",
            f"--end={END}",
            f"--window-seconds={self.dataset.window_days * DAY}",
            "--limit=100",
        ]


def _rfc3339(moment: int) -> str:
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_child(
    argv: Sequence[str], emulator: EmulatorProcess, name: str, *, keep_output: bool = False
) -> Run:
    """Run one child to completion: stdout to /dev/null (or a file), stderr to a file."""
    stdout = WORK / f"{name}.out" if keep_output else None
    stderr = WORK / f"{name}.err"
    pages_before = emulator.data_requests()
    out: IO[bytes]
    with (
        stdout.open("wb") if stdout else Path(os.devnull).open("wb") as out,
        stderr.open("wb") as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        timer = threading.Timer(CHILD_TIMEOUT, proc.kill)
        timer.start()
        try:
            # wait4, not wait: it returns this child's own peak RSS.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = stderr.read_text(errors="replace").splitlines()[-5:]
        msg = f"{name} exited {proc.returncode}: " + " | ".join(tail)
        raise BenchError(msg)
    pages = emulator.data_requests() - pages_before
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, usage.ru_maxrss / MIB, pages, stdout, stderr, cpu)


def tap_argv(config: Path) -> list[str]:
    """The tap's command line, reading what the bare loop reads: the audit log (and ledger).

    The inventory has its own bench (`bench_inventory.py`).
    """
    return [str(TAP), "--config", str(config), "--catalog", str(audit_log_catalog())]


@cache
def audit_log_catalog() -> Path:
    """The tap's catalog with `audit_logs` and `audit_log_reads` selected, nothing else."""
    path = WORK / "catalog-audit-log.json"
    done = subprocess.run([str(TAP), "--discover"], capture_output=True, check=True)
    catalog: dict[str, Any] = orjson.loads(done.stdout)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in AUDIT_LOG_STREAMS
    path.write_bytes(orjson.dumps(catalog))
    return path


def emitted(run: Run) -> int:
    """`audit_logs` records written: the tap's `record_count` metrics, or the bare `records=`.

    The tap logs one count per scope, and the ledger's apart (not summed here).
    """
    text = run.stderr.read_text(errors="replace")
    bare = re.search(r"^records=(\d+)$", text, re.MULTILINE)
    if bare:
        return int(bare.group(1))
    counts = re.findall(
        r'"metric":"record_count","value":(\d+),"tags":\{"stream":"audit_logs"', text
    )
    if not counts:
        msg = f"no record count in {run.stderr}"
        raise BenchError(msg)
    return sum(int(count) for count in counts)


def read_output(path: Path) -> Output:
    """Ids, a digest of the RECORD lines without `time_extracted`, and the last STATE."""
    ids: list[str] = []
    ledger_rows = 0
    digest = hashlib.sha256()
    state: Any = None
    with path.open("rb") as lines:
        for line in lines:
            message = orjson.loads(line)
            kind = message.get("type")
            if kind == "RECORD" and message.get("stream") == "audit_log_reads":
                # The ledger's run_id and read_at differ from run to run by design.
                ledger_rows += 1
            elif kind == "RECORD" and message.get("stream") == "audit_logs":
                message.pop("time_extracted", None)
                ids.append(str(message["record"]["id"]))
                digest.update(orjson.dumps(message))
                digest.update(b"\n")
            elif kind == "STATE":
                state = message["value"]
    return Output(ids, digest.hexdigest(), state, ledger_rows)


def interleave(names: Sequence[str], rounds: int) -> list[tuple[int, str]]:
    """Rounds of every variant, the order rotated each round so no variant always goes first."""
    order: list[tuple[int, str]] = []
    for number in range(rounds):
        shift = number % len(names)
        order.extend((number, name) for name in [*names[shift:], *names[:shift]])
    return order


def median_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, minimum, maximum."""
    return statistics.median(values), min(values), max(values)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded so it reads as text too."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator, *(line(row) for row in rows)])


def say(text: str = "") -> None:
    """Print at once: the bench runs for minutes."""
    print(text, flush=True)


def machine() -> str:
    """nproc, CPU model, memory, kernel, Python, SDK version, tap commit."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for text in cpuinfo.read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / MIB / MIB:.1f} GiB RAM"
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"machine: nproc={len(os.sched_getaffinity(0))}, {cpu}{memory}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"singer-sdk {metadata.version('singer-sdk')}; "
        f"tap at {commit or '?'}{' + uncommitted changes' if dirty else ''}"
    )


def record_path_cpu(dataset: Dataset, rounds: int, checks: Checks) -> float:
    """Section 1: CPU of the tap and the bare loop over the same events, interleaved."""
    with EmulatorProcess(dataset, "cpu") as emulator:
        config = emulator.tap_config("cpu")
        variants: dict[str, list[str]] = {
            "bare": emulator.bare_argv(),
            "tap": tap_argv(config),
            "sdk-path": [sys.executable, str(SDK_RECORD_PATH), *tap_argv(config)[1:]],
        }
        # One untimed run of each first: files cached, bytecode written.
        kept = {
            name: run_child(argv, emulator, f"cpu-{name}-warm-up", keep_output=True)
            for name, argv in variants.items()
        }
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        for number, name in interleave(list(variants), rounds):
            runs[name].append(run_child(variants[name], emulator, f"cpu-{name}-{number}"))
    outputs = {name: read_output(run.stdout) for name, run in kept.items() if run.stdout}
    for run in kept.values():
        if run.stdout:
            run.stdout.unlink()
    records = len(outputs["tap"].ids)
    checks.add(
        "record-path CPU: the tap and the tap with the SDK's record path emit the same records "
        "and STATE, and the bare loop the same ids",
        ok=outputs["tap"].digest == outputs["sdk-path"].digest
        and outputs["tap"].state == outputs["sdk-path"].state
        and outputs["bare"].ids == outputs["tap"].ids
        and records > 0,
    )
    bare = statistics.median(run.cpu for run in runs["bare"])
    labels = {
        "bare": "bare loop (requests + orjson)",
        "tap": "tap (audit_logs + ledger, default settings)",
        "sdk-path": "same tap, the SDK's own record path",
    }
    rows = []
    ratios: dict[str, float] = {}
    for name, label in labels.items():
        median, low, high = median_range([run.cpu for run in runs[name]])
        ratios[name] = bare / median
        rows.append(
            [
                label,
                f"{median:.2f} s",
                f"{low:.2f}-{high:.2f} s",
                f"{statistics.median(run.wall for run in runs[name]):.2f} s",
                f"{ratios[name]:.2f}",
            ]
        )
    say(
        f"## 1. Record path CPU: {records:,} records of both scopes ({dataset.days} days, "
        f"{dataset.window_days}-day windows), start-up included, {rounds} interleaved rounds"
    )
    say(table(["variant", "median CPU", "CPU range", "median wall", "x bare (CPU)"], rows))
    ratio = ratios["tap"]
    verdict = "met" if ratio >= CPU_RATIO_TARGET else "MISSED"
    say(
        f"tap/bare CPU ratio: {ratio:.2f} (target >= {CPU_RATIO_TARGET}: {verdict}). The "
        f"record-path override is worth {ratios['tap'] / ratios['sdk-path']:.2f}x the CPU of "
        "the SDK's own path in the same run. CPU is user + system of every thread."
    )
    say()
    return ratio


def throughput(dataset: Dataset, rounds: int, checks: Checks) -> dict[str, Any]:
    """Section 1: tap and bare loop over the same pages, interleaved, to /dev/null."""
    results: dict[str, Any] = {}
    with EmulatorProcess(dataset, "throughput") as emulator:
        variants: dict[str, list[str]] = {
            "bare": emulator.bare_argv(),
            "tap-1": tap_argv(emulator.tap_config("throughput-1", max_concurrency=1)),
            "tap-4": tap_argv(emulator.tap_config("throughput-default")),
        }
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        for number, name in interleave(list(variants), rounds):
            runs[name].append(run_child(variants[name], emulator, f"throughput-{name}-{number}"))
        # One more run of each, kept, for the equality check (not timed in the table).
        kept = {
            name: run_child(argv, emulator, f"throughput-{name}-check", keep_output=True)
            for name, argv in variants.items()
        }
        results["emulator_startup"] = emulator.startup
    outputs = {name: read_output(run.stdout) for name, run in kept.items() if run.stdout}
    for run in kept.values():
        if run.stdout:
            run.stdout.unlink()
    records = emitted(kept["tap-4"])
    checks.add(
        "throughput: tap (max_concurrency 1) and tap (default 4) emit the same records and STATE",
        ok=outputs["tap-1"].digest == outputs["tap-4"].digest
        and outputs["tap-1"].state == outputs["tap-4"].state
        and outputs["tap-1"].state is not None,
    )
    checks.add(
        "throughput: both taps write the same number of ledger rows, one per window and scope",
        ok=outputs["tap-1"].ledger_rows == outputs["tap-4"].ledger_rows > 0,
    )
    checks.add(
        "throughput: the bare loop emits the same ids, in the same order, as the tap",
        ok=outputs["bare"].ids == outputs["tap-4"].ids,
    )
    counts = {name: emitted(run) for name, run in kept.items()}
    checks.add(
        "throughput: every variant reports the same record count as it wrote",
        ok=all(counts[name] == len(outputs[name].ids) for name in kept),
    )
    pages = {run.pages for group in runs.values() for run in group}
    checks.add("throughput: every run read the same number of pages", ok=len(pages) == 1)
    results.update(records=records, runs=runs, pages=pages.pop() if len(pages) == 1 else -1)
    return results


def print_throughput(dataset: Dataset, rounds: int, results: dict[str, Any]) -> float:
    """Print section 1; return the default tap's ratio to the bare loop."""
    records: int = results["records"]
    runs: dict[str, list[Run]] = results["runs"]
    bare_median = statistics.median(run.wall for run in runs["bare"])
    labels = {
        "bare": "bare loop (requests + orjson)",
        "tap-1": "tap, max_concurrency 1",
        "tap-4": "tap, default (max_concurrency 4)",
    }
    rows = []
    ratios: dict[str, float] = {}
    for name, label in labels.items():
        median, low, high = median_range([run.wall for run in runs[name]])
        ratios[name] = bare_median / median
        rows.append(
            [
                label,
                f"{median:.2f} s",
                f"{low:.2f}-{high:.2f} s",
                f"{records / median:,.0f}",
                f"{records / high:,.0f}-{records / low:,.0f}",
                f"{ratios[name]:.2f}",
                f"{max(run.rss_mib for run in runs[name]):.0f} MiB",
            ]
        )
    say(
        f"## 2. Throughput: {records:,} records emitted ({dataset.events:,} served, "
        f"{dataset.days} days, {dataset.window_days}-day windows, {results['pages']:,} pages), "
        f"stdout to /dev/null, {rounds} interleaved rounds"
    )
    say(
        table(
            ["variant", "median wall", "range", "rec/s", "rec/s range", "x bare", "max RSS"],
            rows,
        )
    )
    ratio = ratios["tap-4"]
    verdict = "met" if ratio >= RATIO_TARGET else "MISSED"
    say(
        f"tap/bare ratio (default settings): {ratio:.2f} (target >= {RATIO_TARGET}: {verdict}); "
        f"max_concurrency 1: {ratios['tap-1']:.2f}. Wall includes process start "
        f"(emulator start-up, not timed: {results['emulator_startup']:.1f} s)."
    )
    say()
    return ratio


def memory(small: Dataset, big: Dataset, small_results: dict[str, Any]) -> None:
    """Section 2: peak RSS at about 100k (from section 1) and about 1M records."""
    with EmulatorProcess(big, "1m") as emulator:
        startup = emulator.startup
        tap = run_child(tap_argv(emulator.tap_config("1m")), emulator, "memory-1m-tap")
        bare = run_child(emulator.bare_argv(), emulator, "memory-1m-bare")
    runs: dict[str, list[Run]] = small_results["runs"]
    small_tap = runs["tap-4"]
    small_bare = runs["bare"]
    rows = [
        [
            f"{small_results['records']:,}",
            f"{small.events:,}",
            f"{max(r.rss_mib for r in small_tap):.0f} MiB",
            f"{statistics.median(r.wall for r in small_tap):.2f} s",
            f"{max(r.rss_mib for r in small_bare):.0f} MiB",
            f"{statistics.median(r.wall for r in small_bare):.2f} s",
            f"{len(small_tap)} each (max RSS, median wall)",
        ],
        [
            f"{emitted(tap):,}",
            f"{big.events:,}",
            f"{tap.rss_mib:.0f} MiB",
            f"{tap.wall:.2f} s ({emitted(tap) / tap.wall:,.0f} rec/s)",
            f"{bare.rss_mib:.0f} MiB",
            f"{bare.wall:.2f} s ({emitted(bare) / bare.wall:,.0f} rec/s)",
            "1 each",
        ],
    ]
    say(
        f"## 3. Peak RSS of the tap process (default settings, {big.window_days}-day windows, "
        "stdout to /dev/null)"
    )
    say(
        table(
            ["emitted", "served", "tap max RSS", "tap wall", "bare max RSS", "bare wall", "runs"],
            rows,
        )
    )
    say(f"(emulator start-up with {big.events:,} events, not timed: {startup:.1f} s)")
    say()


def concurrency(
    dataset: Dataset, levels: Sequence[int], rounds: int, checks: Checks
) -> tuple[float, float]:
    """Section 3: sequential against concurrent windows with a slow API; checks equality."""
    with EmulatorProcess(dataset, "concurrency") as emulator:
        configs = {
            level: tap_argv(emulator.tap_config(f"concurrency-{level}", max_concurrency=level))
            for level in levels
        }
        about = [str(TAP), "--about", "--format=json"]
        runs: dict[int, list[Run]] = {level: [] for level in levels}
        starts: list[float] = []
        outputs: list[tuple[str, Output]] = []
        names = [str(level) for level in levels]
        for number, name in interleave(names, rounds):
            level = int(name)
            run = run_child(
                configs[level], emulator, f"concurrency-{level}-{number}", keep_output=True
            )
            runs[level].append(run)
            if run.stdout:
                outputs.append(
                    (f"max_concurrency {level}, round {number + 1}", read_output(run.stdout))
                )
                run.stdout.unlink()
            if name == names[-1]:
                starts.append(run_child(about, emulator, f"about-{number}").wall)
    records = len(outputs[0][1].ids) if outputs else 0
    reference = outputs[0][1]
    differing = [label for label, output in outputs if output.digest != reference.digest]
    states = [label for label, output in outputs if output.state != reference.state]
    checks.add(
        f"concurrency: all {len(outputs)} runs emit the same records in the same order"
        + (f" (differ: {', '.join(differing)})" if differing else ""),
        ok=not differing and records > 0,
    )
    checks.add(
        f"concurrency: all {len(outputs)} runs end with the same STATE"
        + (f" (differ: {', '.join(states)})" if states else ""),
        ok=not states and reference.state is not None,
    )
    pages = {run.pages for group in runs.values() for run in group}
    checks.add("concurrency: every run read the same number of pages", ok=len(pages) == 1)
    page_count = max(pages)
    windows = SCOPES * dataset.days // dataset.window_days  # each scope has its own windows
    start = statistics.median(starts)
    sequential = statistics.median(run.wall for run in runs[levels[0]])
    rows = []
    speedups: dict[int, float] = {}
    for level in levels:
        median, low, high = median_range([run.wall for run in runs[level]])
        speedups[level] = sequential / median
        floor = page_count * dataset.latency_ms / 1000 / level
        rows.append(
            [
                "1 (sequential)" if level == 1 else str(level),
                f"{median:.2f} s",
                f"{low:.2f}-{high:.2f} s",
                f"{speedups[level]:.2f}x",
                f"{(sequential - start) / (median - start):.2f}x",
                f"{floor:.1f} s",
                f"{max(run.rss_mib for run in runs[level]):.0f} MiB",
            ]
        )
    say(
        f"## 4. Backfill with {dataset.latency_ms} ms added to every page: {records:,} records, "
        f"{windows} {dataset.window_days}-day windows (both scopes), {page_count} pages "
        f"({page_count / windows:.1f} per window), {rounds} interleaved rounds"
    )
    say(
        table(
            [
                "max_concurrency",
                "median wall",
                "range",
                "speed-up",
                "speed-up minus start",
                "latency floor",
                "max RSS",
            ],
            rows,
        )
    )
    at = speedups.get(SPEEDUP_TARGET_AT, 0.0)
    verdict = "met" if at >= SPEEDUP_TARGET else "MISSED"
    say(
        f"speed-up at {SPEEDUP_TARGET_AT}: {at:.2f}x (target >= {SPEEDUP_TARGET}x: {verdict}). "
        f"Wall includes process start; tap start (`--about`, median): {start:.2f} s; "
        "'speed-up minus start' subtracts it from both sides. Latency floor = pages x latency "
        "/ workers."
    )
    say()
    return at, start


def _load() -> str:
    """The 1-minute load average, to show how busy the machine was."""
    return f"{os.getloadavg()[0]:.2f}"


def main() -> int:
    """Run every section and print the figures; exit 1 when an equality check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds (default 5)")
    parser.add_argument("--cpu-rounds", type=int, default=15, help="CPU rounds (default 15)")
    parser.add_argument("--cpu-events", type=int, default=30_000, help="the CPU dataset")
    parser.add_argument(
        "--cpu-only", action="store_true", help="section 1 alone (and its equality check)"
    )
    parser.add_argument(
        "--concurrency-rounds", type=int, default=3, help="concurrency rounds (default 3)"
    )
    parser.add_argument("--events", type=int, default=133_334, help="throughput dataset")
    parser.add_argument("--big-events", type=int, default=1_333_334, help="the ~1M dataset")
    parser.add_argument(
        "--concurrency-events", type=int, default=40_000, help="the 100 ms backfill dataset"
    )
    args = parser.parse_args()

    WORK.mkdir(exist_ok=True)
    began = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    say(f"# tap-openai-audit benchmark, {now:%Y-%m-%d %H:%M} UTC")
    load_at_start = _load()
    say(machine())
    say(
        "Emulator: its own process, same machine. Both the tap and the bare loop read both "
        "scopes (organization, then tenant); the tap also writes its ledger, audit_log_reads."
    )
    say()

    small = Dataset(events=args.events, days=100, window_days=10)
    big = Dataset(events=args.big_events, days=100, window_days=10)
    slow = Dataset(events=args.concurrency_events, days=160, window_days=1, latency_ms=100)
    cpu = Dataset(events=args.cpu_events, days=100, window_days=10)
    checks = Checks()
    try:
        record_path_cpu(cpu, args.cpu_rounds, checks)
        if not args.cpu_only:
            small_results = throughput(small, args.rounds, checks)
            print_throughput(small, args.rounds, small_results)
            memory(small, big, small_results)
            concurrency(slow, [1, 2, 4, 8], args.concurrency_rounds, checks)
    except BenchError as error:
        say(f"FAIL: {error}")
        return 1

    say("## 5. Equality")
    for name, ok in checks.results:
        say(f"- {'PASS' if ok else 'FAIL'}: {name}")
    say(f"equality: {'PASS' if checks.passed else 'FAIL'}")
    say(
        f"bench time: {time.perf_counter() - began:.0f} s; load average at start "
        f"{load_at_start}, at end {_load()} (other work on the machine adds noise)"
    )
    return 0 if checks.passed else 1


if __name__ == "__main__":
    sys.exit(main())
