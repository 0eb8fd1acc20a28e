{{ config(materialized='table') }}
{#- Events of actor user X strictly after a user.deleted whose payload id is X, with no
    user.added of X strictly between the two, other than login.failed and logout.* (a deleted
    user may still try, and fail, to get in). One alert per deletion: its events are the
    deletion then the activity, detected at the first activity. -#}

with deletions as (

    select
        id,
        effective_at,
        object_id as user_id
    from {{ ref('stg_openai_audit__events') }}
    where type = 'user.deleted' and nullif(object_id, '') is not null

),

additions as (

    select
        effective_at,
        object_id as user_id
    from {{ ref('stg_openai_audit__events') }}
    where type = 'user.added' and nullif(object_id, '') is not null

),

activity as (

    select
        d.id as deletion_id,
        d.user_id,
        d.effective_at as deleted_at,
        e.id,
        e.effective_at
    from deletions as d
    inner join {{ ref('stg_openai_audit__events') }} as e
        on e.actor_user_id = d.user_id and e.effective_at > d.effective_at
    where
        e.type <> 'login.failed'
        and e.type not like 'logout.%'
        and not exists (
            select 1
            from additions as a
            where
                a.user_id = d.user_id
                and a.effective_at > d.effective_at
                and a.effective_at < e.effective_at
        )

)

select
    md5('activity_after_user_deleted:' || deletion_id) as alert_id,
    'activity_after_user_deleted'::text as detection_id,
    'high'::text as severity,
    min(effective_at) as detected_at,
    user_id as actor,
    (array[deletion_id] || array_agg(id order by effective_at, id))::text[] as event_ids,
    format(
        'User %s is active after being deleted at %s: %s event(s)',
        user_id,
        -- spelled in UTC, so that the text does not depend on the session's time zone
        to_char(deleted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        count(*)
    ) as summary
from activity
group by deletion_id, user_id, deleted_at
