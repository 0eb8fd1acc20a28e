"""The JSON schema of an `audit_logs` record.

The actor is declared in full, including the fields seen only in the API reference's examples
(`user_agent`, `ja3`, `ja4`, `ip_address_details`), and left open for more. `payload` declares
the union of every typed event's fields (from the official `openai` package's models) and is
left open too, so that the payload of any type, known or not, is kept whole.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

S = th.StringType
STRINGS = th.ArrayType(th.StringType)

USER = th.ObjectType(th.Property("id", S), th.Property("email", S), additional_properties=True)

IP_ADDRESS_DETAILS = th.ObjectType(
    th.Property("country", S),
    th.Property("city", S),
    th.Property("region", S),
    th.Property("region_code", S),
    # The reference's examples show these three as strings; keep them as sent.
    th.Property("asn", S),
    th.Property("latitude", S),
    th.Property("longitude", S),
    additional_properties=True,
)

SESSION = th.ObjectType(
    th.Property("user", USER),
    th.Property("ip_address", S),
    th.Property("user_agent", S),
    th.Property("ja3", S),
    th.Property("ja4", S),
    th.Property("ip_address_details", IP_ADDRESS_DETAILS),
    additional_properties=True,
)

API_KEY_ACTOR = th.ObjectType(
    th.Property("id", S, description="The tracking ID of the API key."),
    th.Property("type", S, description="`user` or `service_account`."),
    th.Property("user", USER),
    th.Property("service_account", th.ObjectType(th.Property("id", S), additional_properties=True)),
    additional_properties=True,
)

ACTOR = th.ObjectType(
    th.Property("type", S, description="`session` or `api_key`."),
    th.Property("session", SESSION),
    th.Property("api_key", API_KEY_ACTOR),
    additional_properties=True,
)

PROJECT = th.ObjectType(th.Property("id", S), th.Property("name", S), additional_properties=True)

ID_AND_NAME = th.ArrayType(
    th.ObjectType(th.Property("id", S), th.Property("name", S), additional_properties=True)
)

STORAGE_PROVIDER = th.ObjectType(
    th.Property("type", S, description="`aws`, `azure`, `gcp` or `oci`."),
    *(
        th.Property(name, S)
        for name in (
            "account_id",
            "bucket",
            "external_id",
            "region",
            "role_arn",
            "account_name",
            "container",
            "resource_group",
            "subscription_id",
            "tenant_id",
            "audience",
            "workload_identity_pool_id",
            "workload_identity_project_number",
            "workload_identity_provider_id",
            "tenancy_ocid",
        )
    ),
    additional_properties=True,
)

# `data` of *.created / *.registered events, merged across types.
PAYLOAD_DATA = th.ObjectType(
    th.Property("scopes", STRINGS),
    th.Property("name", S),
    th.Property("title", S),
    th.Property("project_id", S),
    th.Property("fine_tuned_model_checkpoint", S),
    th.Property("group_name", S),
    th.Property("email", S),
    th.Property("role", S),
    th.Property("geography", S),
    th.Property("provider", STORAGE_PROVIDER),
    additional_properties=True,
)

RATE_LIMIT_FIELDS = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)

# `changes_requested` of *.updated events, merged across types.
CHANGES_REQUESTED = th.ObjectType(
    th.Property("scopes", STRINGS),
    th.Property("expires_in_seconds", th.IntegerType),
    th.Property("group_name", S),
    th.Property("title", S),
    th.Property("description", S),
    th.Property("name", S),
    th.Property("threads_ui_visibility", S),
    th.Property("usage_dashboard_visibility", S),
    th.Property("api_call_logging", S),
    th.Property("api_call_logging_project_ids", S),
    *(th.Property(name, th.IntegerType) for name in RATE_LIMIT_FIELDS),
    th.Property("role_name", S),
    th.Property("resource_id", S),
    th.Property("resource_type", S),
    th.Property("permissions_added", STRINGS),
    th.Property("permissions_removed", STRINGS),
    th.Property("metadata", th.ObjectType(additional_properties=True)),
    th.Property("role", S),
    additional_properties=True,
)

PAYLOAD = th.ObjectType(
    th.Property("id", S, description="ID of the object the event is about."),
    th.Property("name", S),
    th.Property("data", PAYLOAD_DATA),
    th.Property("changes_requested", CHANGES_REQUESTED),
    th.Property("certificate", S),
    th.Property("certificates", ID_AND_NAME),
    th.Property("configs", ID_AND_NAME),
    th.Property("allowed_ips", STRINGS),
    th.Property("error_code", S),
    th.Property("error_message", S),
    th.Property("role_name", S),
    th.Property("permissions", STRINGS),
    th.Property("resource_type", S),
    th.Property("resource_id", S),
    th.Property("principal_id", S),
    th.Property("principal_type", S),
    th.Property("role_id", S),
    th.Property("workspace_id", S),
    th.Property("connector_id", S),
    th.Property("connector_name", S),
    th.Property("enabled", th.BooleanType),
    th.Property("source", S),
    th.Property("identity_provider_id", S),
    th.Property("project_id", S),
    th.Property("service_account_id", S),
    additional_properties=True,
)

AUDIT_LOG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("id", S, required=True, description="The ID of this log entry."),
    th.Property(
        "type",
        S,
        required=True,
        description="The event type, e.g. `api_key.created`. Any string: new types flow through.",
    ),
    th.Property(
        "effective_at",
        th.DateTimeType,
        required=True,
        description="When the event happened, RFC 3339 in UTC (the API's Unix seconds).",
    ),
    th.Property("actor", ACTOR, description="Who acted: a session or an API key."),
    th.Property("project", PROJECT, description="The project the action was scoped to."),
    th.Property(
        "payload",
        PAYLOAD,
        description="The event's details: the object the API sends under the key named like "
        "`type`, kept whole.",
    ),
    th.Property(
        "extra",
        th.ObjectType(additional_properties=True),
        description="Top-level keys of the event that this version of the tap does not know, "
        "kept whole (null when there are none).",
    ),
).to_dict()
