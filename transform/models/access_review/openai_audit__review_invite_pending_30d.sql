{#- invite_pending_30d (low): a live invite still pending, sent more than 30 days before the
    snapshot ("now" is when the snapshot was taken, so a rebuild finds the same). 30 days are
    720 hours, whatever daylight saving the session's time zone has. -#}

with invites as (

    select * from {{ ref('stg_openai_audit__invites') }}

),

snapshot as (

    select organization, max(_sdc_extracted_at) as taken_at
    from invites
    group by organization

)

select
    invites.organization,
    'invite_pending_30d'::text as check_id,
    'low'::text as severity,
    'invite'::text as subject_type,
    invites.id as subject_id,
    null::text as project_id,
    format('Invite %s (role %s) pending since %s, %s days before the snapshot',
        invites.id, coalesce(invites.role, 'unknown'),
        to_char(invites.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        extract(day from snapshot.taken_at - invites.created_at)::integer) as detail
from invites
inner join snapshot on snapshot.organization is not distinct from invites.organization
where not invites.is_deleted
    and lower(btrim(invites.status)) = 'pending'
    and invites.created_at < snapshot.taken_at - interval '720 hours'
