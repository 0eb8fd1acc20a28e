{{ config(
    materialized='incremental',
    unique_key='alert_id',
    incremental_strategy=var('openai_audit_incremental_strategy'),
    on_schema_change='append_new_columns',
    pre_hook="set local jit = off",
    indexes=[{'columns': ['alert_id'], 'unique': True}],
    post_hook=[
        "delete from {{ this }} as f where not exists (
            select 1 from {{ ref('openai_audit__alerts') }} as a where a.alert_id = f.alert_id
        )",
    ],
) }}
{#- One OCSF 1.8.0 Detection Finding (class 2004) per alert, for SIEMs and data lakes that read
    OCSF. Incremental: a build writes the findings of the alerts that are new or whose time,
    severity, status or summary differ from their finding's (tuning included), and the
    post-hook drops those whose alert left openai_audit__alerts (a disabled detection).
    As in openai_audit__ocsf_events, an attribute without a value is left out (jsonb_strip_nulls
    over everything but `unmapped`), and a value that fails its OCSF pattern (an IP, an e-mail)
    is left out rather than making the record invalid. -#}

with alerts as (

    select a.*
    from {{ ref('openai_audit__alerts') }} as a
    {%- if is_incremental() %}
    left join {{ this }} as f on a.alert_id = f.alert_id
    where
        f.alert_id is null
        or f.time is distinct from floor(extract(epoch from a.updated_at) * 1000)::bigint
        or (f.ocsf ->> 'severity_id')::integer is distinct from array_position(
            array['{{ openai_audit_severities() | join("', '") }}'], a.severity
        )
        or f.ocsf ->> 'status_detail' is distinct from a.suppression_reason
        or f.ocsf #>> '{finding_info,desc}' is distinct from a.summary
    {%- endif %}

),

techniques as (

    select technique_id, name, parent_id, parent_name, tactic_id, tactic_name
    from {{ ref('openai_audit_attack_techniques') }}

),

-- one OCSF attack per technique and tactic (the object holds one tactic), in the catalog's order
attacks as (

    select
        a.alert_id,
        jsonb_agg(
            jsonb_strip_nulls(jsonb_build_object(
                'version', 'v16',
                'technique', jsonb_build_object(
                    'uid', coalesce(nullif(t.parent_id, ''), t.technique_id),
                    'name', coalesce(nullif(t.parent_name, ''), t.name)
                ),
                'sub_technique',
                case
                    when nullif(t.parent_id, '') is not null
                        then jsonb_build_object('uid', t.technique_id, 'name', t.name)
                end,
                'tactic', jsonb_build_object('uid', t.tactic_id, 'name', t.tactic_name)
            ))
            order by listed.position, t.tactic_id
        ) as attacks
    from alerts as a
    cross join lateral unnest(a.mitre_attack) with ordinality as listed (technique_id, position)
    inner join techniques as t on listed.technique_id = t.technique_id
    group by a.alert_id

),

parts as (

    select
        a.*,
        attacks.attacks,
        floor(extract(epoch from a.updated_at) * 1000)::bigint as updated_ms,
        case when a.updated_at > a.first_seen_at then 2 else 1 end as activity_id,
        array_position(
            array['{{ openai_audit_severities() | join("', '") }}'], a.severity
        ) as severity_id,
        case
            when coalesce(a.actor_user_id, a.actor_service_account_id, a.actor_email, a.actor_api_key_id)
                is not null
                then jsonb_build_object(
                    'uid', coalesce(a.actor_user_id, a.actor_service_account_id),
                    'email_addr',
                    case when {{ openai_audit_ocsf_is_email('a.actor_email') }} then a.actor_email end,
                    -- known only by e-mail or key: named by what is known
                    'name',
                    case
                        when coalesce(a.actor_user_id, a.actor_service_account_id) is null
                            then coalesce(a.actor_email, a.actor_api_key_id)
                    end,
                    'type_id',
                    case
                        when a.actor_service_account_id is not null then 4
                        when coalesce(a.actor_user_id, a.actor_email) is not null then 1
                    end,
                    'programmatic_credentials',
                    case
                        when a.actor_api_key_id is not null then jsonb_build_array(
                            jsonb_build_object('uid', a.actor_api_key_id, 'type', 'API Key')
                        )
                    end
                )
        end as ocsf_user,
        (
            select jsonb_agg(jsonb_build_object('ip', ip) order by ip collate "C")
            from unnest(a.src_ips) as listed (ip)
            where {{ openai_audit_ocsf_is_ip('ip') }}
        ) as ip_endpoints
    from alerts as a
    left join attacks on a.alert_id = attacks.alert_id

)

select
    alert_id,
    organization,
    updated_ms as time,
    jsonb_strip_nulls(jsonb_build_object(
        'class_uid', 2004,
        'class_name', 'Detection Finding',
        'category_uid', 2,
        'category_name', 'Findings',
        'activity_id', activity_id,
        'activity_name', case activity_id when 1 then 'Create' else 'Update' end,
        'type_uid', 200400 + activity_id,
        'type_name',
        'Detection Finding: ' || case activity_id when 1 then 'Create' else 'Update' end,
        'severity_id', severity_id,
        'severity',
        (array['Informational', 'Low', 'Medium', 'High', 'Critical'])[severity_id],
        'status_id', case status when 'suppressed' then 3 else 1 end,
        'status', case status when 'suppressed' then 'Suppressed' else 'New' end,
        'status_detail', suppression_reason,
        'is_alert', true,
        'time', updated_ms,
        'start_time', floor(extract(epoch from detected_at) * 1000)::bigint,
        'end_time', floor(extract(epoch from last_event_at) * 1000)::bigint,
        'count', event_count,
        'message', summary,
        'metadata', jsonb_build_object(
            'version', '1.8.0',
            'uid', alert_id,
            'event_code', detection_id,
            'log_name', 'openai_audit__alerts',
            'product', jsonb_build_object(
                'name', 'tap-openai-audit detections',
                'vendor_name', 'tap-openai-audit'
            ),
            -- the class carries `actor` through the host profile only
            'profiles', case when ocsf_user is not null then jsonb_build_array('host') end
        ),
        'finding_info', jsonb_build_object(
            'uid', alert_id,
            'title', title,
            'desc', summary,
            'types', jsonb_build_array(detection_id),
            'analytic', jsonb_build_object(
                'uid', detection_id,
                'name', title,
                'type', 'Rule',
                'type_id', 1
            ),
            'attacks', attacks,
            -- more than 100 events: their number only (the alert's event_ids hold them all)
            'related_events',
            case
                when event_count between 1 and 100 then (
                    select jsonb_agg(jsonb_build_object('uid', event_id) order by position)
                    from unnest(event_ids) with ordinality as listed (event_id, position)
                )
            end,
            'related_events_count', case when event_count > 100 then event_count end,
            'first_seen_time', floor(extract(epoch from detected_at) * 1000)::bigint,
            'last_seen_time', floor(extract(epoch from last_event_at) * 1000)::bigint,
            'created_time', floor(extract(epoch from first_seen_at) * 1000)::bigint,
            'modified_time', updated_ms
        ),
        'actor', case when ocsf_user is not null then jsonb_build_object('user', ocsf_user) end,
        'evidences',
        case
            when ip_endpoints is not null or ocsf_user is not null then
                coalesce((
                    select jsonb_agg(jsonb_build_object('src_endpoint', endpoint))
                    from jsonb_array_elements(ip_endpoints) as listed (endpoint)
                ), '[]'::jsonb)
                || case
                    when ocsf_user is not null then jsonb_build_array(jsonb_build_object('user', ocsf_user))
                    else '[]'::jsonb
                end
        end,
        'remediation',
        case when next_steps is not null then jsonb_build_object('desc', next_steps) end
    ))
    || jsonb_build_object('unmapped', jsonb_build_object(
        'organization', organization,
        'detection_id', detection_id,
        'subject_type', subject_type,
        'subject', subject,
        'severity', severity,
        'status', status
    )) as ocsf
from parts
