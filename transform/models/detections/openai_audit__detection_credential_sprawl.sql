{{ config(materialized='table') }}
{#- At least `min_objects` distinct objects (the payload's id, else the event id) created by one
    actor within the window through the four credential-creating types. The actor is the user
    id (session or key), else the service account id, else the e-mail; events with none are
    ignored. One alert per burst of the actor's creations (no gap longer than the window),
    detected at the creation that first brings a window to the threshold
    (openai_audit_distinct_in_window_detection). -#}
{%- set min_objects = var('openai_audit_credential_sprawl_min_objects') | int %}
{%- set window_minutes = var('openai_audit_credential_sprawl_window_minutes') | int %}

{% call openai_audit_distinct_in_window_detection(
    detection_id='credential_sprawl',
    severity='medium',
    min_distinct=min_objects,
    window_length=window_minutes,
    window_unit='minutes',
    summary='%s credential creations by %s, %s distinct objects, at least %s within %s minutes',
) %}
    select
        id,
        effective_at,
        actor as burst_key,
        coalesce(object_id, id) as value
    from {{ ref('int_openai_audit__detection_events') }}
    where
        type in (
            'api_key.created',
            'tenant.project_api_key.created',
            'tenant.admin_api_key.created',
            'service_account.created'
        )
{% endcall %}
