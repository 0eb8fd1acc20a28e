{{ openai_audit_validate_settings() }}
{{ config(
    materialized='incremental',
    unique_key=['organization', 'detection_id', 'match_id'],
    incremental_strategy=var('openai_audit_incremental_strategy'),
    on_schema_change='append_new_columns',
    pre_hook="set local jit = off",
    post_hook=[
        "delete from {{ this }} where detection_id not in {{ openai_audit_enabled_detections_sql() }}",
    ],
) }}
{#- Which alert each match belongs to: one row per match of every enabled detection, with its
    alert's identity (`alert_id`, `detected_at`, `first_seen_at`) fixed when the match is first
    grouped. This table is the alerts' memory: a build adds the matches it has not seen and
    refreshes the data of those it has, and never moves a match to another alert, so a late
    event cannot re-key, move or split an alert already raised.

    A new match joins, first, the latest existing alert of its detection and subject (and
    episode) whose period [detected_at, detected_at + dedup period] holds it; else the earliest
    existing one whose detected_at is at most one period after it (an earlier match that
    arrived late); the matches no existing alert takes are grouped among themselves: an alert
    opens at the earliest and takes every match up to one period after it, both ends included,
    and the next match after that opens the next. A detection without a period (activity after
    a user was deleted) groups every match of one episode into one alert.

    A detection the user disables loses its rows (the post-hook): enabled again, it is grouped
    afresh. `--full-refresh` regroups everything from scratch.

    JIT is off for this model (pre-hook): the recursion's row estimates are wild, and PostgreSQL
    spent five seconds compiling a query over a few hundred matches. -#}

with catalog as (

    select detection_id, dedup_minutes
    from {{ ref('openai_audit_detection_catalog') }}

),

matches as (

    select
        m.organization,
        m.detection_id,
        m.subject_type,
        m.subject,
        m.episode,
        m.match_id,
        m.match_at,
        m.severity,
        m.event_ids,
        m.needed_loaded_at,
        m.actor_user_id,
        m.actor_email,
        m.actor_api_key_id,
        m.actor_service_account_id,
        m.detail,
        {{ openai_audit_dedup_period('m.detection_id', 'c.dedup_minutes') }} as dedup_period
    from {{ ref('int_openai_audit__alert_matches') }} as m
    left join catalog as c on m.detection_id = c.detection_id

),

existing as (

    {%- if is_incremental() %}
    select * from {{ this }}
    {%- else %}
    select
        null::text as organization,
        null::text as detection_id,
        null::text as match_id,
        null::text as alert_id,
        null::text as opening_match_id,
        null::timestamptz as detected_at,
        null::timestamptz as first_seen_at,
        null::text as subject,
        null::text as episode,
        null::text as severity,
        null::text[] as event_ids,
        null::timestamptz as needed_loaded_at,
        null::text as detail
    where false
    {%- endif %}

),

-- the alerts raised by earlier builds, each once
raised as (

    select distinct
        organization,
        detection_id,
        subject,
        episode,
        alert_id,
        opening_match_id,
        detected_at,
        first_seen_at
    from existing

),

-- matches grouped before: they stay in their alert; only changed ones are written again
known as (

    select
        m.*,
        e.alert_id,
        e.opening_match_id,
        e.detected_at,
        e.first_seen_at
    from matches as m
    inner join existing as e
        on
            m.organization = e.organization
            and m.detection_id = e.detection_id
            and m.match_id = e.match_id
    where
        (m.severity, m.event_ids, m.needed_loaded_at, m.detail)
        is distinct from (e.severity, e.event_ids, e.needed_loaded_at, e.detail)

),

fresh as (

    select m.*
    from matches as m
    where not exists (
        select 1
        from existing as e
        where
            e.organization = m.organization
            and e.detection_id = m.detection_id
            and e.match_id = m.match_id
    )

),

-- a fresh match joins, first, the latest raised alert whose period holds it; else the earliest
-- raised alert at most one period after it (the match arrived late). One pass over both: the
-- alerts that hold the match sort first, latest first; then those after it, earliest first.
placed as (

    select distinct on (f.organization, f.detection_id, f.match_id)
        f.*,
        r.alert_id,
        r.opening_match_id,
        r.detected_at,
        r.first_seen_at
    from fresh as f
    inner join raised as r
        on
            f.organization = r.organization
            and f.detection_id = r.detection_id
            and f.subject = r.subject
            and f.episode is not distinct from r.episode
            and (
                f.dedup_period is null
                or f.match_at between r.detected_at - f.dedup_period
                and r.detected_at + f.dedup_period
            )
    order by
        f.organization, f.detection_id, f.match_id,
        r.detected_at > f.match_at,
        case when r.detected_at <= f.match_at then r.detected_at end desc,
        (case when r.detected_at <= f.match_at then r.opening_match_id end) collate "C" desc,
        r.detected_at,
        r.opening_match_id collate "C"

),

unplaced as (

    select f.*
    from fresh as f
    where not exists (
        select 1
        from placed as p
        where
            p.organization = f.organization
            and p.detection_id = f.detection_id
            and p.match_id = f.match_id
    )

),

-- the grouping rule over the rest, per detection, subject and episode: each alert opens at the
-- first match more than one period after the previous opening (a gap rule instead would let a
-- burst sustained for hours grow one endless alert). Numbered in (match_at, id) order...
numbered as (

    select
        u.*,
        coalesce(u.episode, '') as episode_key,
        row_number() over (
            partition by u.organization, u.detection_id, u.subject, u.episode
            order by u.match_at, u.match_id collate "C"
        ) as position
    from unplaced as u

),

-- ...each match knows where the alert after one opened at it would open: the first match past
-- the end of its period. One sort of the matches and the period ends together, read from the
-- latest back, so the running minimum is linear (a frame running to the end is not).
jumps as materialized (

    select organization, detection_id, subject, episode_key, position, next_position
    from (
        select
            *,
            min(case when kind = 1 then position end) over (
                partition by organization, detection_id, subject, episode_key
                order by at desc, kind desc, position desc
                rows between unbounded preceding and 1 preceding
            ) as next_position
        from (
            select organization, detection_id, subject, episode_key, position, match_at as at,
                1 as kind
            from numbered
            union all
            -- a period end sorts after the matches of its very instant: both ends included
            select organization, detection_id, subject, episode_key, position,
                match_at + dedup_period, 2
            from numbered
            where dedup_period is not null
        ) as points
    ) as scanned
    where kind = 2

),

-- ...and the openings follow those jumps from the first match: one step per alert of the
-- busiest subject, each a hash join of the subjects still open against the jumps (kept
-- materialized, so that the window above is not recomputed at every step). 100,000 matches of
-- 2,000 subjects, 50 alerts each, group in about 5 s; an incremental build groups only the
-- few new matches no raised alert takes.
openings as (

    select *
    from (
        with recursive chain as (

            select organization, detection_id, subject, episode_key, position
            from numbered
            where position = 1

            union all

            select j.organization, j.detection_id, j.subject, j.episode_key, j.next_position
            from chain as c
            inner join jumps as j
                on
                    c.organization = j.organization
                    and c.detection_id = j.detection_id
                    and c.subject = j.subject
                    and c.episode_key = j.episode_key
                    and c.position = j.position
            where j.next_position is not null

        )

        select * from chain
    ) as chained

),

-- every match takes the latest opening at or before it (materialized: joined on the result of
-- a window, the planner would otherwise compare every pair of a subject's matches)
owned as materialized (

    select
        n.*,
        max(case when o.position is not null then n.position end) over (
            partition by n.organization, n.detection_id, n.subject, n.episode_key
            order by n.position
            rows unbounded preceding
        ) as opening_position
    from numbered as n
    left join openings as o
        on
            n.organization = o.organization
            and n.detection_id = o.detection_id
            and n.subject = o.subject
            and n.episode_key = o.episode_key
            and n.position = o.position

),

opened as (

    select
        {%- for column in ['organization', 'detection_id', 'subject_type', 'subject', 'episode',
            'match_id', 'match_at', 'severity', 'event_ids', 'needed_loaded_at', 'actor_user_id',
            'actor_email', 'actor_api_key_id', 'actor_service_account_id', 'detail',
            'dedup_period'] %}
        m.{{ column }},
        {%- endfor %}
        md5(
            o.organization || ':' || o.detection_id || ':' || o.subject || ':' || o.match_id
        ) as alert_id,
        o.match_id as opening_match_id,
        o.match_at as detected_at,
        o.needed_loaded_at as first_seen_at
    from owned as m
    inner join numbered as o
        on
            m.organization = o.organization
            and m.detection_id = o.detection_id
            and m.subject = o.subject
            and m.episode_key = o.episode_key
            and m.opening_position = o.position

),

assigned as (

    select * from known
    union all
    select * from placed
    union all
    select * from opened

)

select
    organization,
    detection_id,
    match_id,
    alert_id,
    opening_match_id,
    detected_at,
    first_seen_at,
    subject_type,
    subject,
    episode,
    match_at,
    severity,
    event_ids,
    needed_loaded_at,
    actor_user_id,
    actor_email,
    actor_api_key_id,
    actor_service_account_id,
    detail
from assigned
