{{ config(materialized='table') }}
{#- Events of actor user X strictly after a user.deleted whose payload id is X, with no
    user.added of X strictly between the two, other than login.failed and logout.* (a deleted
    user may still try, and fail, to get in). One alert per deletion: its events are the
    deletion then the activity, detected at the first activity.

    Each event counts for the latest deletion of X before it: a deletion's activity ends at X's
    next user.added or user.deleted (an event in that very second still counts, since the
    change is not strictly before it). So every event is in at most one alert, and the cost
    follows the deleted users' activity rather than deletions times activity. -#}

with changes as (

    select
        id,
        type,
        effective_at,
        object_id as user_id
    from {{ ref('int_openai_audit__detection_events') }}
    where type in ('user.deleted', 'user.added') and object_id is not null

),

-- the seconds in which each user changed, each with the next one: a deletion's activity
-- ends at the user's first change in a later second
change_seconds as (

    select
        user_id,
        effective_at,
        lead(effective_at) over (partition by user_id order by effective_at) as next_change_at
    from (select distinct user_id, effective_at from changes) as seconds

),

deletions as (

    select
        c.id,
        c.effective_at,
        c.user_id,
        s.next_change_at
    from changes as c
    inner join change_seconds as s on c.user_id = s.user_id and c.effective_at = s.effective_at
    where c.type = 'user.deleted'

),

activity as (

    -- one range scan of the (actor_user_id, effective_at) index per deletion; as a plain join
    -- the planner hashed every event of a user against every deletion of that user
    select
        d.id as deletion_id,
        d.user_id,
        d.effective_at as deleted_at,
        e.id,
        e.effective_at
    from deletions as d
    cross join lateral (
        select
            id,
            effective_at
        from {{ ref('int_openai_audit__detection_events') }}
        where
            actor_user_id = d.user_id
            and effective_at > d.effective_at
            and effective_at <= coalesce(d.next_change_at, 'infinity'::timestamptz)
            and type <> 'login.failed'
            and type not like 'logout.%'
        -- offset 0 keeps PostgreSQL from flattening this into that plain join
        offset 0
    ) as e

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
