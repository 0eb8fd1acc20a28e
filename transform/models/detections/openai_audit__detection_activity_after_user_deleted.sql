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

deletions as (

    select
        id,
        effective_at,
        user_id,
        next_change_at
    from (
        select
            *,
            -- the user's first change in a later second (exclude group: not this second's)
            min(effective_at) over (
                partition by user_id order by effective_at
                range between current row and unbounded following exclude group
            ) as next_change_at
        from changes
    ) as ordered
    where type = 'user.deleted'

),

activity as (

    select
        d.id as deletion_id,
        d.user_id,
        d.effective_at as deleted_at,
        e.id,
        e.effective_at
    from deletions as d
    inner join {{ ref('int_openai_audit__detection_events') }} as e
        on
            e.actor_user_id = d.user_id
            and e.effective_at > d.effective_at
            and e.effective_at <= coalesce(d.next_change_at, 'infinity'::timestamptz)
    where e.type <> 'login.failed' and e.type not like 'logout.%'

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
