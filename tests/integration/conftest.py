"""Collection rules of the integration tests."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tap_openai_audit.audit_log.schema import AUDIT_LOG_SCHEMA
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.inventory.schema import snapshot_schema
from tap_openai_audit.json_types import ANY_JSON_TYPES

if TYPE_CHECKING:
    import pytest

# The SDK's standard suite picks its attribute checks from each property's type list and
# expects every value to pass each of them: a property typed "object or array or string or
# number or boolean or null" (any JSON, docs/sql.md's contract for actor, project and payload,
# and for the inventory's nested objects and arrays) gets "every value is a boolean" and
# "every value is a number" checks, which no such column can pass. Those two, for those
# properties only, are not run; the property test in tests/faults/test_records_property.py
# checks every record against the declared schema.
_SCHEMAS = {
    "audit_logs": AUDIT_LOG_SCHEMA,
    **{endpoint.stream: snapshot_schema(endpoint) for endpoint in ENDPOINTS},
}
ANY_JSON_PROPERTIES = sorted(
    f"{stream}.{name}"
    for stream, stream_schema in _SCHEMAS.items()
    for name, schema in stream_schema["properties"].items()
    if schema.get("type") == ANY_JSON_TYPES
)
_NOT_APPLICABLE = re.compile(
    r"::test_tap_stream_attribute_is_(?:boolean|numeric)\[("
    + "|".join(re.escape(name) for name in ANY_JSON_PROPERTIES)
    + r")\]$"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the SDK's single-type checks of the any-JSON properties."""
    kept = [item for item in items if not _NOT_APPLICABLE.search(item.nodeid)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
