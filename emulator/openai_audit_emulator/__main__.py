"""`openai-audit-emulator`: serve the emulated audit-log endpoint until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import calendar
import itertools
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.clock import DEFAULT_END, current_end, shift_events
from openai_audit_emulator.generator import iter_events
from openai_audit_emulator.hostile import HOSTILE_START, hostile_events
from openai_audit_emulator.server import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_COUNT,
    DEFAULT_DAYS,
    DEFAULT_SEED,
    Emulator,
)
from openai_audit_emulator.store import ORDERS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from types import FrameType

_END_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _text(moment: int) -> str:
    return time.strftime(_END_FORMAT, time.gmtime(moment))


def _timestamp(text: str) -> int:
    try:
        return calendar.timegm(time.strptime(text, _END_FORMAT))
    except ValueError:
        msg = f"expected a UTC time like 2026-11-01T00:00:00Z, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _non_negative(kind: type[int | float]) -> argparse._ActionType:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            msg = f"expected a number, got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None
        if value < 0:
            msg = f"must be >= 0, got {text}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


def _refusal(text: str) -> tuple[str, int]:
    name, _, status = text.partition("=")
    if not name or status not in {"403", "404"}:
        msg = f"expected STREAM=403 or STREAM=404, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return name, int(status)


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="openai-audit-emulator",
        description="Serve a synthetic OpenAI organization's audit logs at "
        "GET /v1/organization/audit_logs, for tests and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=_non_negative(int),
        default=8787,
        help="0 picks a free port (default: %(default)s)",
    )
    parser.add_argument(
        "--events",
        type=_non_negative(int),
        default=DEFAULT_COUNT,
        help="number of events (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="data seed (default: %(default)s)"
    )
    parser.add_argument(
        "--days",
        type=_non_negative(float),
        default=DEFAULT_DAYS,
        help="days of history (default: %(default)s)",
    )
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument(
        "--end",
        type=_timestamp,
        default=None,
        help="end of history, exclusive, e.g. 2026-11-01T00:00:00Z (default: the minute the "
        "emulator starts, by the API's clock)",
    )
    clock.add_argument(
        "--fixed-clock",
        action="store_true",
        help=f"end the history at {_text(DEFAULT_END)}, the same on every run: for tests",
    )
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="newest_first",
        help="result order (default: %(default)s)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_non_negative(float),
        default=0.0,
        help="delay before each data response (default: %(default)s)",
    )
    parser.add_argument(
        "--admin-key", default=DEFAULT_ADMIN_KEY, help="the Admin API key to accept"
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="also serve the hostile organization's events (see docs/emulator.md)",
    )
    parser.add_argument(
        "--attack-story",
        action="store_true",
        help="also serve the attack story: every detection's pattern beside a near miss, and "
        "the access-review cases (see docs/emulator.md)",
    )
    parser.add_argument(
        "--hostile-inventory",
        action="store_true",
        help="inventory objects with fields the reference does not list and documented "
        "fields of another type (see docs/emulator.md)",
    )
    parser.add_argument(
        "--refuse-inventory",
        action="append",
        default=[],
        type=_refusal,
        metavar="STREAM=STATUS",
        help="make one inventory list answer 403 or 404 for every request, as for an "
        "organization without it (repeatable), e.g. groups=403",
    )
    parser.add_argument(
        "--clock-skew",
        type=float,
        default=0.0,
        help="seconds the API's clock (its Date header) runs ahead of this machine's; "
        "negative: behind (default: %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    seconds = int(args.days * 86400)
    if seconds < 1:
        parser.error("--days must cover at least one second")
    end = _end(args)
    shift = end - DEFAULT_END
    # Drawn for the fixed end and moved: the same organization and story at any end.
    events: Iterable[Mapping[str, Any]] = shift_events(
        iter_events(
            seed=args.seed, count=args.events, start=DEFAULT_END - seconds, end=DEFAULT_END
        ),
        shift,
    )
    if args.hostile:
        events = itertools.chain(events, hostile_events(HOSTILE_START + shift))
    emulator = Emulator(
        events,
        admin_key=args.admin_key,
        order=args.order,
        latency=args.latency_ms / 1000,
        host=args.host,
        port=args.port,
        verbose=args.verbose,
        clock_skew=args.clock_skew,
        hostile_inventory=args.hostile_inventory,
        attack_story=args.attack_story,
        end=end,
    )
    try:
        for name, status in args.refuse_inventory:
            emulator.inventory.refuse(name, status)
    except ValueError as error:
        parser.error(f"--refuse-inventory: {error}")
    try:
        emulator.start()
    except OSError as error:
        parser.exit(
            1, f"openai-audit-emulator: cannot listen on {args.host}:{args.port}: {error}\n"
        )
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # The admin key is the emulator's own fake, so printing it is safe and saves a lookup.
    sys.stdout.write(
        f"openai-audit-emulator serving {emulator.stats()['events']} events at {emulator.url} "
        f"admin_api_key={args.admin_key} history_end={_text(end)}\n"
    )
    sys.stdout.flush()
    while not stopping.wait(0.5):
        pass
    emulator.stop()
    return 0


def _end(args: argparse.Namespace) -> int:
    if args.fixed_clock:
        return DEFAULT_END
    if args.end is not None:
        end: int = args.end
        return end
    # The API's clock, as `Emulator.now()` reads it: a skewed API's history ends at its now.
    return current_end(time.time() + args.clock_skew)


if __name__ == "__main__":
    sys.exit(main())
