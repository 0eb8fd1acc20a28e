{{ config(materialized='table') }}
{#- Every change to the IP allowlist, graded by what it does to the protection: turning the
    allowlist off is critical, deleting one high, editing one medium, creating or turning one
    on low. One alert per event. -#}

with changes as (

    select
        id,
        type,
        effective_at,
        object_id,
        actor
    from {{ ref('int_openai_audit__detection_events') }}
    where
        type in (
            'ip_allowlist.config.deactivated',
            'ip_allowlist.deleted',
            'ip_allowlist.updated',
            'ip_allowlist.created',
            'ip_allowlist.config.activated'
        )

)

select
    md5('ip_allowlist_changed:' || id) as alert_id,
    'ip_allowlist_changed'::text as detection_id,
    (case type
        when 'ip_allowlist.config.deactivated' then 'critical'
        when 'ip_allowlist.deleted' then 'high'
        when 'ip_allowlist.updated' then 'medium'
        else 'low'
    end)::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format(
        '%s by %s%s',
        type, coalesce(actor, 'an unknown actor'),
        case when object_id is not null then ' (allowlist ' || object_id || ')' else '' end
    ) as summary
from changes
