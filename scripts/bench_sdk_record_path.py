"""The tap with the SDK's own record path, for `make bench`'s side-by-side figure.

`AuditLogsStream` overrides the SDK's private `_write_record_message` to skip the SDK's
per-record selection walk and its `RecordMessage` per record (see
tap_openai_audit/audit_log/stream.py). This runs the same command line with that override
removed, so that the bench can show what it is worth. A benchmarking aid: it is not installed
with the tap.
"""

from __future__ import annotations

from tap_openai_audit.audit_log.stream import AuditLogsStream
from tap_openai_audit.cli import main

del AuditLogsStream._write_record_message  # noqa: SLF001 - the SDK's own method applies again

if __name__ == "__main__":
    main()
