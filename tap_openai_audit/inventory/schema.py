"""The JSON schema of an inventory record: typed columns, parent ids, and `extra`.

Ids and parent ids are required strings (the tap refuses an object without its id). Every
documented field is declared with its documented type and null allowed: the API leaves
optional fields out and sends null for others. A value of another type never reaches its
column (see `shape`), so targets that validate records never refuse one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_openai_audit.inventory.endpoints import Kind
from tap_openai_audit.inventory.shape import EXTRA
from tap_openai_audit.json_types import ANY_JSON_TYPES

if TYPE_CHECKING:
    from tap_openai_audit.inventory.endpoints import Endpoint

_PROPERTY: dict[Kind, dict[str, Any]] = {
    Kind.STRING: {"type": ["string", "null"]},
    Kind.INTEGER: {"type": ["integer", "null"]},
    Kind.BOOLEAN: {"type": ["boolean", "null"]},
    Kind.UNIXTIME: {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "RFC 3339, UTC (the API's Unix seconds).",
    },
    Kind.JSON: {
        "type": ANY_JSON_TYPES,
        "description": "Any JSON, as sent (usually an object or an array).",
    },
}

EXTRA_PROPERTY: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": True,
    "description": "Every key of the API object without a column of its own, and every "
    "documented key whose value did not fit its column's type (that column is then null), "
    "each as sent; null when there are none.",
}


def id_columns(endpoint: Endpoint) -> tuple[str, ...]:
    """The parent ids from the URL, then the primary key's own fields, without repeats."""
    return tuple(dict.fromkeys((*endpoint.parent.fields, *endpoint.primary_keys)))


def snapshot_schema(endpoint: Endpoint) -> dict[str, Any]:
    """The record schema of `endpoint`'s stream."""
    ids = id_columns(endpoint)
    properties: dict[str, Any] = {key: {"type": "string"} for key in ids}
    for name, kind in endpoint.fields.items():
        if name not in properties:
            prop = _PROPERTY[kind]
            properties[name] = {**prop, "type": list(prop["type"])}
    properties[EXTRA] = {**EXTRA_PROPERTY, "type": list(EXTRA_PROPERTY["type"])}
    return {"type": "object", "properties": properties, "required": list(ids)}
