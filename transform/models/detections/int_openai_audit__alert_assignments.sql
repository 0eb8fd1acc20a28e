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

-- first: the latest raised alert whose period holds the match
into_period as (

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
            and r.detected_at <= f.match_at
            and (f.dedup_period is null or f.match_at <= r.detected_at + f.dedup_period)
    order by
        f.organization, f.detection_id, f.match_id,
        r.detected_at desc, r.opening_match_id collate "C" desc

),

-- else: the earliest raised alert at most one period after the match (it arrived late)
before_opening as (

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
            and r.detected_at > f.match_at
            and (f.dedup_period is null or r.detected_at <= f.match_at + f.dedup_period)
    where not exists (
        select 1
        from into_period as p
        where
            p.organization = f.organization
            and p.detection_id = f.detection_id
            and p.match_id = f.match_id
    )
    order by
        f.organization, f.detection_id, f.match_id,
        r.detected_at, r.opening_match_id collate "C"

),

unplaced as (

    select f.*
    from fresh as f
    where
        not exists (
            select 1
            from into_period as p
            where
                p.organization = f.organization
                and p.detection_id = f.detection_id
                and p.match_id = f.match_id
        )
        and not exists (
            select 1
            from before_opening as b
            where
                b.organization = f.organization
                and b.detection_id = f.detection_id
                and b.match_id = f.match_id
        )

),

-- the grouping rule over the rest: each alert opens at the first match more than one period
-- after the previous opening (a chain, hence the recursion; a gap rule would let a burst
-- sustained for hours grow one endless alert)
openings as (

    select *
    from (
        with recursive chain as (

            (select distinct on (organization, detection_id, subject, episode)
                organization,
                detection_id,
                subject,
                episode,
                match_id,
                match_at,
                needed_loaded_at,
                dedup_period
            from unplaced
            order by organization, detection_id, subject, episode, match_at, match_id collate "C")

            union all

            select
                following.organization,
                following.detection_id,
                following.subject,
                following.episode,
                following.match_id,
                following.match_at,
                following.needed_loaded_at,
                following.dedup_period
            from chain as c
            cross join lateral (
                select u.*
                from unplaced as u
                where
                    u.organization = c.organization
                    and u.detection_id = c.detection_id
                    and u.subject = c.subject
                    and u.episode is not distinct from c.episode
                    and c.dedup_period is not null
                    and u.match_at > c.match_at + c.dedup_period
                order by u.match_at, u.match_id collate "C"
                limit 1
            ) as following

        )

        select * from chain
    ) as chained

),

opened as (

    select distinct on (u.organization, u.detection_id, u.match_id)
        u.*,
        md5(
            o.organization || ':' || o.detection_id || ':' || o.subject || ':' || o.match_id
        ) as alert_id,
        o.match_id as opening_match_id,
        o.match_at as detected_at,
        o.needed_loaded_at as first_seen_at
    from unplaced as u
    inner join openings as o
        on
            u.organization = o.organization
            and u.detection_id = o.detection_id
            and u.subject = o.subject
            and u.episode is not distinct from o.episode
            and (o.match_at, o.match_id collate "C") <= (u.match_at, u.match_id collate "C")
    order by
        u.organization, u.detection_id, u.match_id,
        o.match_at desc, o.match_id collate "C" desc

),

assigned as (

    select * from known
    union all
    select * from into_period
    union all
    select * from before_opening
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
