{{ config(materialized='table') }}
{#- login.failed of at least `min_login_keys` distinct login keys from one IP within the window.
    Events without an IP or a login key are ignored. One alert per burst of the IP's failures (no
    gap longer than the window), detected at the failure that first brings a window to the
    threshold (openai_audit_distinct_in_window_detection). The alert's actor is the IP: it is
    all that is known of who sprays. -#}
{%- set min_login_keys = var('openai_audit_password_spray_min_login_keys') | int %}
{%- set window_minutes = var('openai_audit_password_spray_window_minutes') | int %}

{% call openai_audit_distinct_in_window_detection(
    detection_id='login_password_spray',
    severity='medium',
    min_distinct=min_login_keys,
    window_length=window_minutes,
    window_unit='minutes',
    summary='%s failed logins from IP %s for %s distinct login keys, at least %s within %s minutes',
) %}
    select
        id,
        effective_at,
        ip_address as burst_key,
        login_key as value
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.failed'
{% endcall %}
