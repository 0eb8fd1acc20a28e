{{ config(materialized='table') }}
{#- Every tenant.admin_api_key.created: an admin key reaches every setting of the organization.
    The type is tenant-scoped, so it arrives only when the tap reads the tenant scope. -#}

with created as (

    select
        id,
        effective_at,
        object_id,
        actor
    from {{ ref('int_openai_audit__detection_events') }}
    where type = 'tenant.admin_api_key.created'

)

select
    md5('admin_api_key_created:' || id) as alert_id,
    'admin_api_key_created'::text as detection_id,
    'medium'::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format(
        '%s created admin API key %s',
        coalesce(actor, 'An unknown actor'), coalesce(object_id, '(id not in the event)')
    ) as summary
from created
