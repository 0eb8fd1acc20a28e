"""The bare loop `make bench` measures the tap against.

It reads the same pages as the tap (both scopes, the organization's then the tenant's with
`tenant_only=true`; the same windows on the grid of the window size; `effective_at[gte]`/`[lt]`,
`limit`, `after=<last_id>`; one `requests.Session`, one window after another) and writes one
Singer RECORD line per event with `orjson`, buffered, no schema, no state, no ledger, no
per-record work. It prints how many records it wrote to stderr as `records=N`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson
import requests

PATH = "/organization/audit_logs"


def main() -> int:
    """Page every window of `[start, end)` and write RECORD lines to stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="API base URL, e.g. http://127.0.0.1:8787/v1")
    parser.add_argument("--key", required=True, help="bearer key")
    parser.add_argument("--start", type=int, required=True, help="Unix seconds, inclusive")
    parser.add_argument("--end", type=int, required=True, help="Unix seconds, exclusive")
    parser.add_argument("--window-seconds", type=int, required=True)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {args.key}"
    url = args.url.rstrip("/") + PATH
    out = sys.stdout.buffer
    count = 0
    size: int = args.window_seconds
    # The tap's first request: one event, to learn the API's clock from its Date header.
    session.get(url, params=[("effective_at[lt]", str(args.end)), ("limit", "1")], timeout=60)
    for scope in ([], [("tenant_only", "true")]):
        start: int = args.start
        while start < args.end:
            end = min((start // size + 1) * size, args.end)
            base = [
                *scope,
                ("effective_at[gte]", str(start)),
                ("effective_at[lt]", str(end)),
                ("limit", str(args.limit)),
            ]
            after: str | None = None
            while True:
                params = [*base, ("after", after)] if after else base
                response = session.get(url, params=params, timeout=60)
                response.raise_for_status()
                body: dict[str, Any] = orjson.loads(response.content)
                for event in body["data"]:
                    out.write(
                        orjson.dumps({"type": "RECORD", "stream": "audit_logs", "record": event})
                        + b"\n"
                    )
                count += len(body["data"])
                if not body["has_more"]:
                    break
                after = body["last_id"]
            start = end
    out.flush()
    sys.stderr.write(f"records={count}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
