{{ config(materialized='table') }}
{#- organization.updated whose changes_requested names api_call_logging or
    api_call_logging_project_ids: the key's presence is the signal, whatever its value (null and
    false included), since turning logging off is the change that matters most. Keys nested
    deeper (the older `settings` shape) do not count. One alert per event. -#}

with changes as (

    select
        id,
        effective_at,
        payload -> 'changes_requested' as changes_requested,
        actor
    from {{ ref('int_openai_audit__detection_events') }}
    where type = 'organization.updated'

)

select
    md5('api_call_logging_changed:' || id) as alert_id,
    'api_call_logging_changed'::text as detection_id,
    'high'::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format(
        '%s changed API call logging: %s',
        coalesce(actor, 'An unknown actor'),
        jsonb_build_object(
            'api_call_logging', changes_requested -> 'api_call_logging',
            'api_call_logging_project_ids', changes_requested -> 'api_call_logging_project_ids'
        )
    ) as summary
from changes
where
    jsonb_typeof(changes_requested) = 'object'
    and (
        changes_requested ? 'api_call_logging'
        or changes_requested ? 'api_call_logging_project_ids'
    )
