"""A local emulator of OpenAI's `GET /v1/organization/audit_logs`, for tests, demos and benchmarks.

Standard library only at runtime (plus orjson, a tap dependency). See docs/emulator.md.
"""

from __future__ import annotations

from tap_openai_audit.emulator.catalog import is_tenant_scoped
from tap_openai_audit.emulator.faults import Fault
from tap_openai_audit.emulator.generator import generate_events
from tap_openai_audit.emulator.server import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_END,
    Emulator,
    RecordedRequest,
    default_events,
)

__all__ = [
    "DEFAULT_ADMIN_KEY",
    "DEFAULT_END",
    "Emulator",
    "Fault",
    "RecordedRequest",
    "default_events",
    "generate_events",
    "is_tenant_scoped",
]
