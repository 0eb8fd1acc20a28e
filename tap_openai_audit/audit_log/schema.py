"""The JSON schema of an `audit_logs` record.

Types are declared only where the API guarantees them: `id` and `type` are strings and
`effective_at` a date-time (the tap checks all three on every event). `actor`, `project`,
`payload` and `extra` take any JSON value at any depth. The reference types only some of
what arrives there, the API adds fields and event types every month, and two event types
already give one key two shapes (`data.provider` is a string in one and an object in
another). Targets validate every record against this schema by default, and one record
refused stops a scheduled load for good: a nested type declared here would be a promise
the API never made.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_openai_audit.json_types import any_json

AUDIT_LOG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="The ID of this log entry."),
    th.Property(
        "type",
        th.StringType,
        required=True,
        description="The event type, e.g. `api_key.created`. Any string: new types flow through.",
    ),
    th.Property(
        "effective_at",
        th.DateTimeType,
        required=True,
        description="When the event happened, RFC 3339 in UTC (the API's Unix seconds).",
    ),
    th.Property(
        "scope",
        th.StringType(allowed_values=["organization", "tenant"]),
        required=True,
        description="Which scope's request returned the event: tenant-scoped events come "
        "only with `tenant_only=true`.",
    ),
).to_dict()

AUDIT_LOG_SCHEMA["properties"].update(
    {
        "actor": any_json(
            "Who acted, as the API sent it (any JSON; usually an object whose `type` is "
            "`session`, with `session.user`, `ip_address`, `user_agent`, or `api_key`, with "
            "`api_key.id`, `type` and `user` or `service_account`)."
        ),
        "project": any_json(
            "The project the action was scoped to, as the API sent it (any JSON; usually "
            "`{id, name}`), or null."
        ),
        "payload": any_json(
            "The event's details: the value the API sends under the key named like `type`, "
            "kept whole (any JSON; usually an object such as `{id, data: {...}}` or "
            "`{id, changes_requested: {...}}`)."
        ),
        "extra": {
            "type": ["object", "null"],
            "additionalProperties": True,
            "description": "Top-level keys of the event that this version of the tap does not "
            "know, each with its value as sent (any JSON), or null when there are none.",
        },
    }
)
