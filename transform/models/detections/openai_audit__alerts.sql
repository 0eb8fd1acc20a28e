{{ openai_audit_validate_settings() }}
{{ config(
    materialized='incremental',
    unique_key='alert_id',
    incremental_strategy=var('openai_audit_incremental_strategy'),
    on_schema_change='append_new_columns',
    pre_hook=["set local jit = off", "{{ openai_audit_alerts_upgrade() }}"],
    indexes=[
        {'columns': ['alert_id'], 'unique': True},
        {'columns': ['detected_at']},
    ],
    post_hook=[
        "delete from {{ this }} as a where not exists (
            select 1 from {{ ref('int_openai_audit__alert_assignments') }} as s
            where s.alert_id = a.alert_id
                and s.detection_id in {{ openai_audit_enabled_detections_sql() }}
        )",
    ],
) }}
{#- One row per alert (docs/transform.md, "Alerts"). Who belongs to which alert is decided once,
    in int_openai_audit__alert_assignments; this model describes each alert from its matches
    and events, and applies the user's tuning (severity overrides, suppressions), which may
    change between builds, to every alert at every build. Merged on `alert_id`: an alert
    raised once is never deleted, and its id, `detected_at` and `first_seen_at` never change.

    An incremental build reads the events (staging, through its index on `id`) only for the
    alerts whose matches changed: new ones, and those whose number of matches, number of listed
    events or latest load time differs from the row already built (`match_count`,
    `listed_event_count`, `updated_at`). The others keep their row, re-tuned; only the rows
    that differ are written.

    The post-hook keeps only the alerts the assignments hold for enabled detections: a disabled
    detection's alerts leave the table, and so do the rows a release before the grouping built
    in this table (other ids), so that the upgrade needs no --full-refresh (the pre-hook gives
    such a table its new columns first). JIT is off: compiling would cost more than this query
    over a few thousand alerts. -#}

{%- set columns = ['alert_id', 'organization', 'detection_id', 'title', 'severity', 'subject_type', 'subject', 'detected_at', 'last_event_at', 'first_seen_at', 'updated_at', 'event_count', 'event_ids', 'actor', 'actor_user_id', 'actor_email', 'actor_api_key_id', 'actor_service_account_id', 'src_ips', 'countries', 'user_agents', 'project_ids', 'object_ids', 'mitre_attack', 'summary', 'next_steps', 'match_count', 'listed_event_count'] %}

with assignments as (

    select *
    from {{ ref('int_openai_audit__alert_assignments') }}
    where detection_id in {{ openai_audit_enabled_detections_sql() }}

),

catalog as (

    select
        detection_id,
        title,
        subject_type,
        string_to_array(nullif(mitre_attack, ''), '|') as mitre_attack,
        next_steps
    from {{ ref('openai_audit_detection_catalog') }}

),

-- severities by rank, to take the highest
-- per alert, what tells whether it changed, and its rule severity: cheap, over every match
alert_counts as (

    select
        alert_id,
        count(*) as match_count,
        sum(cardinality(event_ids)) as listed_event_count,
        -- the latest load of any of its events (each match's events' latest), never before the
        -- opening's
        greatest(max(needed_loaded_at), min(first_seen_at)) as latest_loaded_at,
        max(array_position(
            array['{{ openai_audit_severities() | join("', '") }}'], severity
        )) as severity_rank
    from assignments
    group by alert_id

),

{%- if is_incremental() %}

previous as (

    select * from {{ this }}

),

-- the alerts whose matches changed since the row was built
touched as (

    select m.alert_id
    from alert_counts as m
    left join previous as p on m.alert_id = p.alert_id
    where
        p.alert_id is null
        or (m.match_count, m.listed_event_count, m.latest_loaded_at)
        is distinct from (p.match_count, p.listed_event_count, p.updated_at)

),
{%- else %}

touched as (

    select alert_id from alert_counts

),
{%- endif %}

-- the touched alerts, described from their matches
alert_matches as (

    select
        a.alert_id,
        min(a.organization) as organization,
        min(a.detection_id) as detection_id,
        min(a.subject_type) as subject_type,
        min(a.subject) as subject,
        min(a.episode) as episode,
        min(a.detected_at) as detected_at,
        min(a.first_seen_at) as first_seen_at,
        -- who acted in each match, to tell one actor from several
        count(distinct coalesce(
            a.actor_user_id, a.actor_service_account_id, lower(a.actor_email), a.actor_api_key_id
        )) as actors,
        case when count(distinct a.actor_user_id) = 1 then min(a.actor_user_id) end
            as actor_user_id,
        case when count(distinct lower(a.actor_email)) = 1 then min(a.actor_email) end
            as actor_email,
        case when count(distinct a.actor_api_key_id) = 1 then min(a.actor_api_key_id) end
            as actor_api_key_id,
        case
            when count(distinct a.actor_service_account_id) = 1
                then min(a.actor_service_account_id)
        end as actor_service_account_id,
        -- the latest match's sentence, and the one the summary leads with: the most severe
        -- match's (the first of them), so that an alert made critical by its third match does
        -- not read as its info-level first one
        (array_agg(a.detail order by a.match_at desc, a.match_id collate "C" desc))[1]
            as latest_detail,
        (array_agg(a.detail order by array_position(
            array['{{ openai_audit_severities() | reverse | join("', '") }}'], a.severity
        ), a.match_at, a.match_id collate "C"))[1] as first_detail
    from assignments as a
    inner join touched as t on a.alert_id = t.alert_id
    group by a.alert_id

),

alert_event_ids as (

    select distinct
        a.alert_id,
        a.organization,
        event_id
    from assignments as a
    inner join touched as t on a.alert_id = t.alert_id
    cross join lateral unnest(a.event_ids) as listed (event_id)

),

alert_events as (

    select
        i.alert_id,
        e.id,
        e.effective_at,
        e.loaded_at,
        e.ip_address,
        e.country,
        e.user_agent,
        e.project_id,
        e.object_id
    from alert_event_ids as i
    inner join {{ ref('stg_openai_audit__events') }} as e
        on e.id = i.event_id and e.organization = i.organization

),

event_facts as (

    select
        alert_id,
        array_agg(id order by effective_at, id collate "C")::text[] as event_ids,
        count(*) as event_count,
        min(effective_at) as first_event_at,
        max(effective_at) as last_event_at,
        max(loaded_at) as updated_at,
        coalesce(
            array_agg(distinct ip_address collate "C" order by ip_address collate "C")
                filter (where ip_address is not null),
            '{}'
        )::text[] as src_ips,
        coalesce(
            array_agg(distinct country collate "C" order by country collate "C")
                filter (where country is not null),
            '{}'
        )::text[] as countries,
        coalesce(
            array_agg(distinct user_agent collate "C" order by user_agent collate "C")
                filter (where user_agent is not null),
            '{}'
        )::text[] as user_agents,
        coalesce(
            array_agg(distinct project_id collate "C" order by project_id collate "C")
                filter (where project_id is not null),
            '{}'
        )::text[] as project_ids,
        coalesce(
            array_agg(distinct object_id collate "C" order by object_id collate "C")
                filter (where object_id is not null),
            '{}'
        )::text[] as object_ids
    from alert_events
    group by alert_id

),

described as (

    select
        m.alert_id,
        m.organization,
        m.detection_id,
        c.title,
        coalesce(
            {{ openai_audit_severity_override('m.detection_id') }},
            (array['{{ openai_audit_severities() | join("', '") }}'])[k.severity_rank]
        ) as severity,
        m.subject_type,
        m.subject,
        m.detected_at,
        coalesce(f.last_event_at, m.detected_at) as last_event_at,
        m.first_seen_at,
        k.latest_loaded_at as updated_at,
        coalesce(f.event_count, 0) as event_count,
        coalesce(f.event_ids, '{}') as event_ids,
        case
            when m.actors <= 1
                then coalesce(
                    m.actor_email, m.actor_user_id, m.actor_service_account_id, m.actor_api_key_id
                )
        end as actor,
        m.actor_user_id,
        m.actor_email,
        m.actor_api_key_id,
        m.actor_service_account_id,
        coalesce(f.src_ips, '{}') as src_ips,
        coalesce(f.countries, '{}') as countries,
        coalesce(f.user_agents, '{}') as user_agents,
        coalesce(f.project_ids, '{}') as project_ids,
        coalesce(f.object_ids, '{}') as object_ids,
        coalesce(c.mitre_attack, '{}') as mitre_attack,
        k.match_count,
        k.listed_event_count,
        m.first_detail,
        m.latest_detail,
        f.first_event_at,
        c.next_steps
    from alert_matches as m
    inner join alert_counts as k on m.alert_id = k.alert_id
    left join event_facts as f on m.alert_id = f.alert_id
    left join catalog as c on m.detection_id = c.detection_id

),

-- each touched alert described, with its summary; the others as built, to be tuned again
current_alerts as (

    select
        {%- for column in columns %}
        {% if column == 'summary' %}{{ openai_audit_alert_summary() }} as summary{% else %}{{ column }}{% endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from described
    {%- if is_incremental() %}

    union all

    select
        {%- for column in columns %}
        {% if column == 'severity' -%}
        coalesce(
            {{ openai_audit_severity_override('p.detection_id') }},
            (array['{{ openai_audit_severities() | join("', '") }}'])[m.severity_rank]
        ) as severity
        {%- else %}p.{{ column }}{% endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from previous as p
    inner join alert_counts as m on p.alert_id = m.alert_id
    where not exists (select 1 from touched as t where t.alert_id = p.alert_id)
    {%- endif %}

),

rules as (

    {{ openai_audit_suppression_rules() | indent(4) }}

),

tuned as (

    select
        a.*,
        (
            select r.reason
            from rules as r
            where
                (r.detection_id is null or r.detection_id in ('*', a.detection_id))
                and (r.subject is null or lower(r.subject) = lower(a.subject))
                and (
                    r.actor is null
                    or lower(r.actor) in (
                        lower(a.actor), lower(a.actor_email), lower(a.actor_user_id),
                        lower(a.actor_service_account_id), lower(a.actor_api_key_id)
                    )
                )
                and (r.ip is null or r.ip = any(a.src_ips))
                and (r.project_id is null or r.project_id = any(a.project_ids))
                and (r.until is null or a.detected_at < r.until)
            order by r.rule_order
            limit 1
        ) as suppression_reason
    from current_alerts as a

)

select
    t.alert_id,
    t.organization,
    t.detection_id,
    t.title,
    t.severity,
    (case when t.suppression_reason is null then 'open' else 'suppressed' end)::text as status,
    t.suppression_reason,
    t.subject_type,
    t.subject,
    t.detected_at,
    t.last_event_at,
    t.first_seen_at,
    t.updated_at,
    t.event_count,
    t.event_ids,
    t.actor,
    t.actor_user_id,
    t.actor_email,
    t.actor_api_key_id,
    t.actor_service_account_id,
    t.src_ips,
    t.countries,
    t.user_agents,
    t.project_ids,
    t.object_ids,
    t.mitre_attack,
    t.summary,
    t.next_steps,
    t.match_count,
    t.listed_event_count
from tuned as t
{%- if is_incremental() %}
-- only what changed: touched alerts, and those whose tuning gives another severity or status
left join previous as p on t.alert_id = p.alert_id
where
    p.alert_id is null
    or exists (select 1 from touched as x where x.alert_id = t.alert_id)
    or (t.severity, t.suppression_reason) is distinct from (p.severity, p.suppression_reason)
{%- endif %}
