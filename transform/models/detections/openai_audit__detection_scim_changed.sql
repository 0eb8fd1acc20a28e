{{ config(materialized='table') }}
{#- SCIM turned off (high: provisioning and, above all, deprovisioning stop) or on (low).
    One alert per event. -#}

with changes as (

    select
        id,
        type,
        effective_at,
        actor
    from {{ ref('int_openai_audit__detection_events') }}
    where type in ('scim.disabled', 'scim.enabled')

)

select
    md5('scim_changed:' || id) as alert_id,
    'scim_changed'::text as detection_id,
    (case type when 'scim.disabled' then 'high' else 'low' end)::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format('%s by %s', type, coalesce(actor, 'an unknown actor')) as summary
from changes
