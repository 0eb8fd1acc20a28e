{{ config(materialized='table') }}
{#- user.added, user.updated or invite.sent whose role is the owner role. The role is read from
    changes_requested.role, else data.role (the reference shows each type with one of the two);
    a role sent as an object is read by its name. Trimmed and lower-cased, it must be `owner`:
    'Owner ' is the owner role, 'owner_admin' is not. High without a project (an organization
    role), medium inside one. One alert per event. -#}

with grants as (

    select
        id,
        type,
        effective_at,
        project_id,
        object_id,
        actor,
        payload -> 'changes_requested' -> 'role' as requested_role,
        payload -> 'data' -> 'role' as data_role,
        payload -> 'data' ->> 'email' as invited_email
    from {{ ref('int_openai_audit__detection_events') }}
    where type in ('user.added', 'user.updated', 'invite.sent')

),

named as (

    select
        *,
        coalesce(
            case jsonb_typeof(requested_role)
                when 'string' then requested_role #>> '{}'
                when 'object' then requested_role ->> 'name'
            end,
            case jsonb_typeof(data_role)
                when 'string' then data_role #>> '{}'
                when 'object' then data_role ->> 'name'
            end
        ) as role
    from grants

)

select
    md5('owner_role_granted:' || id) as alert_id,
    'owner_role_granted'::text as detection_id,
    (case when project_id is null then 'high' else 'medium' end)::text as severity,
    effective_at as detected_at,
    actor,
    array[id]::text[] as event_ids,
    format(
        '%s gave the owner role to %s (%s)%s',
        coalesce(actor, 'an unknown actor'),
        coalesce(invited_email, object_id, 'an unknown user'),
        type,
        case when project_id is not null then ' in project ' || project_id else '' end
    ) as summary
from named
where lower(btrim(role, E' \t\r\n')) = 'owner'
