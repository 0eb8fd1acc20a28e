{#- The rules whose match is one event and whose subject is its actor: the alert lists the
    match alone. -#}

{#- A match per event of `types`, with the severity `severity` (SQL over the event's columns)
    and the detail `detail` (SQL). -#}
{% macro openai_audit_single_event_matches(detection_id, types, severity, detail) -%}
select
    {{ openai_audit_match_columns(
        detection_id=detection_id,
        subject_type='actor',
        subject=openai_audit_actor_subject(),
        severity=severity,
        event_ids='array[id]',
        needed_loaded_at='loaded_at',
        detail=detail,
    ) | indent(4) }}
from {{ ref('int_openai_audit__detection_events') }}
where type in ('{{ types | join("', '") }}')
{%- endmacro %}

{#- An admin API key created: it reaches every setting of the organization. The type is
    tenant-scoped, read only when the tap reads the tenant scope. -#}
{% macro openai_audit_detection_admin_api_key_created() -%}
{{ openai_audit_single_event_matches(
    'admin_api_key_created',
    ['tenant.admin_api_key.created'],
    "'medium'",
    openai_audit_match_who() ~ " || ' created admin API key ' || coalesce(object_id, '(id not in the event)')",
) }}
{%- endmacro %}

{#- A change to the IP allowlist, graded by what it does to the protection: turning it off is
    critical, deleting one high, editing one medium; creating or turning one on adds
    protection (info). -#}
{% macro openai_audit_detection_ip_allowlist_changed() -%}
{{ openai_audit_single_event_matches(
    'ip_allowlist_changed',
    [
        'ip_allowlist.config.deactivated', 'ip_allowlist.deleted', 'ip_allowlist.updated',
        'ip_allowlist.created', 'ip_allowlist.config.activated',
    ],
    "case type
        when 'ip_allowlist.config.deactivated' then 'critical'
        when 'ip_allowlist.deleted' then 'high'
        when 'ip_allowlist.updated' then 'medium'
        else 'info'
    end",
    openai_audit_match_who() ~ " || case type
        when 'ip_allowlist.config.deactivated' then ' turned the IP allowlist off'
        when 'ip_allowlist.config.activated' then ' turned the IP allowlist on'
        when 'ip_allowlist.deleted' then ' deleted an IP allowlist'
        when 'ip_allowlist.updated' then ' changed an IP allowlist'
        else ' created an IP allowlist'
    end || coalesce(' (' || object_id || ')', '')",
) }}
{%- endmacro %}

{#- SCIM turned off (provisioning and, above all, deprovisioning stop) or on (info). -#}
{% macro openai_audit_detection_scim_changed() -%}
{{ openai_audit_single_event_matches(
    'scim_changed',
    ['scim.disabled', 'scim.enabled'],
    "case type when 'scim.disabled' then 'high' else 'info' end",
    openai_audit_match_who() ~ " || case type when 'scim.disabled' then ' turned SCIM provisioning off' else ' turned SCIM provisioning on' end",
) }}
{%- endmacro %}

{#- A tenant SSO connection created, updated or deleted: whoever controls SSO controls every
    login. -#}
{% macro openai_audit_detection_sso_connection_changed() -%}
{{ openai_audit_single_event_matches(
    'sso_connection_changed',
    [
        'tenant.sso_connection.created', 'tenant.sso_connection.updated',
        'tenant.sso_connection.deleted',
    ],
    "'high'",
    openai_audit_match_who() ~ " || case type
        when 'tenant.sso_connection.created' then ' created'
        when 'tenant.sso_connection.updated' then ' changed'
        else ' deleted'
    end || ' an SSO connection' || coalesce(' (' || object_id || ')', '')",
) }}
{%- endmacro %}
