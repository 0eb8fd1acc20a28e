{{ config(materialized='table') }}
{#- A tenant SSO connection created, updated or deleted: whoever controls SSO controls every
    login. One alert per event. -#}

with changes as (

    select
        id,
        type,
        effective_at,
        actor
    from {{ ref('int_openai_audit__detection_events') }}
    where
        type in (
            'tenant.sso_connection.created',
            'tenant.sso_connection.updated',
            'tenant.sso_connection.deleted'
        )

)

select
    md5('sso_connection_changed:' || id) as alert_id,
    'sso_connection_changed'::text as detection_id,
    'high'::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format('%s by %s', type, coalesce(actor, 'an unknown actor')) as summary
from changes
