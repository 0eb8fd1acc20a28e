"""A local emulator of OpenAI's `GET /v1/organization/audit_logs`, for tests, demos and benchmarks.

Standard library only at runtime (plus orjson, a tap dependency). See docs/emulator.md.
"""

from __future__ import annotations

from openai_audit_emulator.catalog import is_tenant_scoped
from openai_audit_emulator.clock import DEFAULT_END, current_end, shift_events
from openai_audit_emulator.faults import Fault
from openai_audit_emulator.generator import generate_events
from openai_audit_emulator.hostile import HOSTILE_START, hostile_events
from openai_audit_emulator.server import (
    DEFAULT_ADMIN_KEY,
    Emulator,
    RecordedRequest,
    default_events,
)

__all__ = [
    "DEFAULT_ADMIN_KEY",
    "DEFAULT_END",
    "HOSTILE_START",
    "Emulator",
    "Fault",
    "RecordedRequest",
    "current_end",
    "default_events",
    "generate_events",
    "hostile_events",
    "is_tenant_scoped",
    "shift_events",
]
