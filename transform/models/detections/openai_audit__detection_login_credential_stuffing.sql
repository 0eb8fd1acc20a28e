{{ config(materialized='table') }}
{#- login.failed of one login key from at least `min_ips` distinct IPs within the window.
    Events without an IP are ignored. One alert per burst of the key's failures (no gap longer
    than the window), detected at the failure that first brings a window to the threshold
    (openai_audit_distinct_in_window_detection). -#}
{%- set min_ips = var('openai_audit_credential_stuffing_min_ips') | int %}
{%- set window_minutes = var('openai_audit_credential_stuffing_window_minutes') | int %}

{% call openai_audit_distinct_in_window_detection(
    detection_id='login_credential_stuffing',
    severity='medium',
    min_distinct=min_ips,
    window_length=window_minutes,
    window_unit='minutes',
    summary='%s failed logins for %s from %s distinct IPs, at least %s within %s minutes',
) %}
    select
        id,
        effective_at,
        login_key as burst_key,
        ip_address as value
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.failed'
{% endcall %}
