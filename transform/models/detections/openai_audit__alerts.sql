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
    change between builds. So every build rewrites every alert's row (alerts are few, and the
    events they list are read through staging's unique index on `id`), merged on `alert_id`:
    an alert raised once is never deleted, and its id, `detected_at` and `first_seen_at` never
    change. The post-hook keeps only the alerts the assignments hold for enabled detections:
    a disabled detection's alerts leave the table, and so do the rows a release before the
    grouping built in this table (other ids), so that the upgrade needs no --full-refresh. JIT is off (pre-hook):
    compiling would cost more than this query over a few thousand alerts. -#}

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
ranked as (

    select
        *,
        array_position(
            array['{{ openai_audit_severities() | join("', '") }}'], severity
        ) as severity_rank,
        -- who acted in the match, to tell one actor from several
        coalesce(
            actor_user_id, actor_service_account_id, lower(actor_email), actor_api_key_id
        ) as actor_key
    from assignments

),

alert_matches as (

    select
        alert_id,
        min(organization) as organization,
        min(detection_id) as detection_id,
        min(subject_type) as subject_type,
        min(subject) as subject,
        min(episode) as episode,
        min(detected_at) as detected_at,
        min(first_seen_at) as first_seen_at,
        count(*) as match_count,
        max(severity_rank) as severity_rank,
        count(distinct actor_key) as actors,
        case when count(distinct actor_user_id) = 1 then min(actor_user_id) end as actor_user_id,
        case when count(distinct lower(actor_email)) = 1 then min(actor_email) end as actor_email,
        case when count(distinct actor_api_key_id) = 1 then min(actor_api_key_id) end
            as actor_api_key_id,
        case when count(distinct actor_service_account_id) = 1 then min(actor_service_account_id) end
            as actor_service_account_id,
        -- the latest match's sentence, and the first one's
        (array_agg(detail order by match_at desc, match_id collate "C" desc))[1] as latest_detail,
        (array_agg(detail order by match_at, match_id collate "C"))[1] as first_detail
    from ranked
    group by alert_id

),

alert_event_ids as (

    select distinct
        a.alert_id,
        a.organization,
        event_id
    from assignments as a
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
            (array['{{ openai_audit_severities() | join("', '") }}'])[m.severity_rank]
        ) as severity,
        m.subject_type,
        m.subject,
        m.detected_at,
        coalesce(f.last_event_at, m.detected_at) as last_event_at,
        m.first_seen_at,
        greatest(coalesce(f.updated_at, m.first_seen_at), m.first_seen_at) as updated_at,
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
        m.match_count,
        m.first_detail,
        m.latest_detail,
        f.first_event_at,
        c.next_steps
    from alert_matches as m
    left join event_facts as f on m.alert_id = f.alert_id
    left join catalog as c on m.detection_id = c.detection_id

),

rules as (

    {{ openai_audit_suppression_rules() | indent(4) }}

),

suppressed as (

    select
        d.*,
        (
            select r.reason
            from rules as r
            where
                (r.detection_id is null or r.detection_id in ('*', d.detection_id))
                and (r.subject is null or lower(r.subject) = lower(d.subject))
                and (
                    r.actor is null
                    or lower(r.actor) in (
                        lower(d.actor), lower(d.actor_email), lower(d.actor_user_id),
                        lower(d.actor_service_account_id), lower(d.actor_api_key_id)
                    )
                )
                and (r.ip is null or r.ip = any(d.src_ips))
                and (r.project_id is null or r.project_id = any(d.project_ids))
                and (r.until is null or d.detected_at < r.until)
            order by r.rule_order
            limit 1
        ) as suppression_reason
    from described as d

)

select
    alert_id,
    organization,
    detection_id,
    title,
    severity,
    (case when suppression_reason is null then 'open' else 'suppressed' end)::text as status,
    suppression_reason,
    subject_type,
    subject,
    detected_at,
    last_event_at,
    first_seen_at,
    updated_at,
    event_count,
    event_ids,
    actor,
    actor_user_id,
    actor_email,
    actor_api_key_id,
    actor_service_account_id,
    src_ips,
    countries,
    user_agents,
    project_ids,
    object_ids,
    mitre_attack,
    {{ openai_audit_alert_summary() }} as summary,
    next_steps
from suppressed
