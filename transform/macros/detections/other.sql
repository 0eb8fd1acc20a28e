{#- The rules on the actor's own activity over time. -#}

{#- A credential creation at which at least `min_objects` distinct objects (the payload's id,
    else the event id) were created by its actor (user id, else service account id, else
    e-mail; creations with none are ignored) within the last `window_minutes`, through the four
    credential-creating types. The alert lists the creations counted. -#}
{% macro openai_audit_detection_credential_sprawl(since=none) -%}
{%- set min_objects = openai_audit_detection_setting('credential_sprawl', 'min_objects') | int %}
{%- set window_minutes = openai_audit_detection_setting('credential_sprawl', 'window_minutes') | int %}
with events as (

    select
        organization,
        id,
        effective_at,
        loaded_at,
        actor as burst_key,
        coalesce(object_id, id) as value
    from {{ ref('int_openai_audit__detection_events') }}
    where
        type in (
            'api_key.created',
            'tenant.project_api_key.created',
            'tenant.admin_api_key.created',
            'service_account.created'
        )
        and actor is not null
        and {{ openai_audit_since_condition(since, "interval '" ~ window_minutes ~ " minutes'") }}

),

{{ openai_audit_window_matches('events', min_objects, window_minutes, 'minutes') }}

select
    {{ openai_audit_match_columns(
        detection_id='credential_sprawl',
        subject_type='actor',
        subject='m.burst_key',
        severity="'medium'",
        event_ids='m.event_ids',
        needed_loaded_at='m.needed_loaded_at',
        detail=openai_audit_match_who() ~ " || ' created ' || m.distinct_values
            || ' credentials (API keys and service accounts) within " ~ window_minutes ~ " minutes'",
        organization='m.organization',
        match_id='m.id',
        match_at='m.effective_at',
    ) | indent(4) }}
from wm_matches as m
inner join {{ ref('int_openai_audit__detection_events') }} as e
    on m.organization = e.organization and m.id = e.id
where {{ openai_audit_since_condition(since, at='m.effective_at', organization='m.organization') }}
{%- endmacro %}

{#- An event of actor user X strictly after a user.deleted whose payload id is X, with no
    user.added of X strictly between the two, other than login.failed and logout.* (a deleted
    user may still try, and fail, to get in). Each event belongs to X's latest deletion before
    it: a deletion's activity ends at X's next user.added or user.deleted (an event in that
    very second still counts, since the change is not strictly before it). The subject is X,
    each deletion its own episode; the alert lists the deletion. -#}
{% macro openai_audit_detection_activity_after_user_deleted(since=none) -%}
with changes as (

    select
        organization,
        id,
        type,
        effective_at,
        loaded_at,
        object_id as user_id
    from {{ ref('int_openai_audit__detection_events') }}
    where type in ('user.deleted', 'user.added') and object_id is not null

),

-- the seconds in which each user changed, each with the next one: a deletion's activity
-- ends at the user's first change in a later second
change_seconds as (

    select
        organization,
        user_id,
        effective_at,
        lead(effective_at) over (
            partition by organization, user_id order by effective_at
        ) as next_change_at
    from (select distinct organization, user_id, effective_at from changes) as seconds

),

deletions as (

    select
        c.organization,
        c.id,
        c.effective_at,
        c.loaded_at,
        c.user_id,
        s.next_change_at
    from changes as c
    inner join change_seconds as s
        on
            c.organization = s.organization
            and c.user_id = s.user_id
            and c.effective_at = s.effective_at
    where c.type = 'user.deleted'

),

activity as (

    -- one range scan of the (actor_user_id, effective_at) index per deletion; as a plain join
    -- the planner hashed every event of a user against every deletion of that user
    select
        d.id as deletion_id,
        d.user_id,
        d.effective_at as deleted_at,
        d.loaded_at as deletion_loaded_at,
        e.*
    from deletions as d
    cross join lateral (
        select *
        from {{ ref('int_openai_audit__detection_events') }}
        where
            actor_user_id = d.user_id
            and organization = d.organization
            and effective_at > d.effective_at
            and effective_at <= coalesce(d.next_change_at, 'infinity'::timestamptz)
            and type <> 'login.failed'
            and type not like 'logout.%'
            and {{ openai_audit_since_condition(since) }}
        -- offset 0 keeps PostgreSQL from flattening this into that plain join
        offset 0
    ) as e

)

select
    {{ openai_audit_match_columns(
        detection_id='activity_after_user_deleted',
        subject_type='user',
        subject='user_id',
        severity="'high'",
        event_ids='array[deletion_id, id]',
        needed_loaded_at='greatest(loaded_at, deletion_loaded_at)',
        episode='deletion_id',
        actor_user_id='user_id',
        detail="'User ' || coalesce(actor_email || ' (' || user_id || ')', user_id)
            || ' acted (' || type || ') after being deleted at '
            || to_char(deleted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'",
    ) | indent(4) }}
from activity
{%- endmacro %}
