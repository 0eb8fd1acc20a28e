"""JSON-schema spellings shared by every stream family (the audit log and the inventory)."""

from __future__ import annotations

from typing import Any

# Every JSON type, listed rather than left out (`{}`): target-postgres 0.8.1 makes a column
# with a type list that includes "object" `jsonb`, but a typeless one `text` (objects as
# JSON text, strings without quotes); target-duckdb 0.8.0 crashes on a typeless property.
ANY_JSON_TYPES = ["object", "array", "string", "number", "boolean", "null"]


def any_json(description: str) -> dict[str, Any]:
    """A property that takes any JSON value, with its description."""
    return {"type": list(ANY_JSON_TYPES), "description": description}
