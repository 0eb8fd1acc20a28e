{{ config(materialized='table') }}
{#- One row per alert of every detection: each detection model already has this shape. -#}
{%- set detections = [
    'login_brute_force_success',
    'login_failures_burst',
    'login_credential_stuffing',
    'login_password_spray',
    'login_impossible_travel',
    'login_many_countries',
    'owner_role_granted',
    'admin_api_key_created',
    'ip_allowlist_changed',
    'scim_changed',
    'api_call_logging_changed',
    'sso_connection_changed',
    'credential_sprawl',
    'activity_after_user_deleted',
] %}

{% for detection_id in detections %}
select
    alert_id,
    detection_id,
    severity,
    detected_at,
    actor,
    event_ids,
    summary
from {{ ref('openai_audit__detection_' ~ detection_id) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
