{{ openai_audit_incremental_config(key=['organization', 'id'], indexes=[
    {'columns': ['class_uid', 'time']},
]) }}
{#- One OCSF 1.8.0 record per audit event (docs/transform.md, "OCSF"). The class and activity of a type
    come from the seed; a type the seed lacks is API Activity, activity 99 (Other). Every
    attribute the class requires is present whatever the event lacks (the fills below), and an
    attribute without a value is left out: jsonb_strip_nulls over everything but `unmapped`,
    which keeps the OpenAI values exactly as they came. -#}

with events as (

    select *
    from {{ ref('stg_openai_audit__events') }}
    {%- if is_incremental() %}
    where loaded_at >= {{ openai_audit_loaded_since() }}
    {%- endif %}

),

type_map as (

    select type, class_uid, activity_id, entity_type, entity_type_id
    from {{ ref('openai_audit_ocsf_type_map') }}

),

classified as (

    select
        events.*,
        coalesce(type_map.class_uid, 6003) as class_uid,
        coalesce(type_map.activity_id, 99) as activity_id,
        type_map.entity_type,
        type_map.entity_type_id,
        -- who the event is about, where the payload names one: the principal of a role
        -- assignment, the target user of a tenant event, the object of a user or service
        -- account event, the e-mail of an invite
        coalesce(
            case
                when coalesce({{ openai_audit_json_text('payload', ['principal_type']) }}, 'user')
                    = 'user'
                    then {{ openai_audit_json_text('payload', ['principal_id']) }}
            end,
            {{ openai_audit_json_text('payload', ['details', 'target_user_id']) }},
            case
                when events.type like 'user.%'
                    or events.type like 'service_account.%'
                    or events.type like 'tenant.service_account.%'
                    then events.object_id
            end
        ) as subject_uid,
        coalesce(
            {{ openai_audit_json_text('payload', ['data', 'email']) }},
            {{ openai_audit_json_text('payload', ['email']) }}
        ) as subject_email,
        coalesce(
            {{ openai_audit_json_text('payload', ['changes_requested', 'role']) }},
            {{ openai_audit_json_text('payload', ['data', 'role']) }},
            {{ openai_audit_json_text('payload', ['role_id']) }}
        ) as subject_role,
        coalesce(
            {{ openai_audit_json_text('payload', ['name']) }},
            {{ openai_audit_json_text('payload', ['data', 'name']) }},
            {{ openai_audit_json_text('payload', ['data', 'group_name']) }},
            {{ openai_audit_json_text('payload', ['group_name']) }}
        ) as object_name,
        case when {{ openai_audit_ocsf_is_ip('events.ip_address') }} then events.ip_address end
            as valid_ip
    from events
    left join type_map on type_map.type = events.type

),

parts as (

    select
        *,
        (extract(epoch from effective_at) * 1000)::bigint as time_ms,
        -- the actor: a user (session or API key owner) or service account, else the app
        case
            when coalesce(actor_user_id, actor_email, actor_service_account_id, actor_api_key_id)
                is null
                then jsonb_build_object('app_name', 'OpenAI')
            else jsonb_build_object('user', jsonb_build_object(
                'uid', coalesce(actor_user_id, actor_service_account_id),
                'email_addr',
                case when {{ openai_audit_ocsf_is_email('actor_email') }} then actor_email end,
                -- known only by e-mail: named by it; not known at all: Unknown
                'name',
                case
                    when coalesce(actor_user_id, actor_service_account_id) is null
                        then coalesce(actor_email, 'Unknown')
                end,
                'type_id', case when actor_service_account_id is not null then 4 else 1 end,
                'programmatic_credentials',
                case
                    when actor_api_key_id is not null then jsonb_build_array(
                        jsonb_build_object('uid', actor_api_key_id, 'type', 'API Key')
                    )
                end
            ))
        end as ocsf_actor,
        -- the user a user-centred class requires: who the payload names, else the actor
        case
            when coalesce(subject_uid, subject_email) is not null then jsonb_build_object(
                'uid', subject_uid,
                'email_addr',
                case when {{ openai_audit_ocsf_is_email('subject_email') }} then subject_email end,
                'name', case when subject_uid is null then subject_email end
            )
            when coalesce(actor_user_id, actor_email, actor_service_account_id) is not null
                then jsonb_build_object(
                    'uid', coalesce(actor_user_id, actor_service_account_id),
                    'email_addr',
                    case when {{ openai_audit_ocsf_is_email('actor_email') }} then actor_email end,
                    'name',
                    case
                        when coalesce(actor_user_id, actor_service_account_id) is null
                            then actor_email
                    end
                )
            else jsonb_build_object('name', 'Unknown')
        end as ocsf_user,
        case
            when valid_ip is not null then jsonb_build_object(
                'ip', valid_ip,
                'location',
                case
                    when coalesce(city, country, region) is not null then jsonb_build_object(
                        'city', city,
                        'country', country,
                        'region', region,
                        'lat', latitude,
                        'long', longitude
                    )
                end
            )
        end as ocsf_src_endpoint,
        case
            when user_agent is not null then jsonb_build_object('user_agent', user_agent)
        end as ocsf_http_request,
        case
            when type like '%.failed' then 2
            when type like '%.succeeded' then 1
        end as status_id
    from classified

),

records as (

    select
        organization,
        id,
        type,
        effective_at,
        class_uid,
        class_uid / 1000 as category_uid,
        activity_id,
        class_uid * 100 + activity_id as type_uid,
        1 as severity_id,
        time_ms as time,
        jsonb_strip_nulls(jsonb_build_object(
            'class_uid', class_uid,
            'category_uid', class_uid / 1000,
            'activity_id', activity_id,
            'type_uid', class_uid * 100 + activity_id,
            'severity_id', 1,
            'severity', 'Informational',
            'time', time_ms,
            'status_id', status_id,
            'status', case status_id when 1 then 'Success' when 2 then 'Failure' end,
            'status_code', case when status_id = 2 then {{ openai_audit_json_text('payload', ['error_code']) }} end,
            'metadata', jsonb_build_object(
                'version', '1.8.0',
                'uid', id,
                'event_code', type,
                'log_name', 'audit_logs',
                'product', jsonb_build_object(
                    'name', 'OpenAI Audit Logs',
                    'vendor_name', 'OpenAI'
                ),
                -- Web Resources Activity carries `actor` only through the host profile, which
                -- a record must then declare
                'profiles', case when class_uid = 6001 then jsonb_build_array('host') end
            ),
            'src_endpoint',
            case
                when class_uid = 6003 then coalesce(ocsf_src_endpoint, jsonb_build_object('name', 'Unknown'))
                else ocsf_src_endpoint
            end,
            'http_request', ocsf_http_request,
            'actor', ocsf_actor,
            'user',
            case
                when class_uid in (3001, 3002, 3005) then ocsf_user
                when class_uid = 3006 and subject_uid is not null
                    then jsonb_build_object('uid', subject_uid)
            end,
            'service', case when class_uid = 3002 then jsonb_build_object('name', 'OpenAI') end,
            'privileges',
            case when class_uid = 3005 then jsonb_build_array(coalesce(subject_role, 'Unknown')) end,
            'entity',
            case
                when class_uid = 3004 then jsonb_build_object(
                    'uid', object_id,
                    -- no object in the payload: named by the map's entity type
                    'name',
                    case
                        when object_id is null then coalesce(object_name, entity_type, 'Unknown')
                        else object_name
                    end,
                    'type', entity_type,
                    'type_id', entity_type_id
                )
            end,
            'group',
            case
                when class_uid = 3006 then jsonb_build_object(
                    'uid', object_id,
                    'name',
                    case when object_id is null then coalesce(object_name, 'Unknown') else object_name end
                )
            end,
            'web_resources',
            case
                when class_uid = 6001 then jsonb_build_array(jsonb_build_object(
                    'uid', object_id,
                    'name', case when object_id is null then coalesce(object_name, 'Unknown') end,
                    'type', regexp_replace(type, '[.][^.]*$', '')
                ))
            end,
            'api',
            case when class_uid = 6003 then jsonb_build_object('operation', type) end
        ))
        -- `unmapped` after the strip: the OpenAI values keep their own nulls
        || jsonb_build_object('unmapped',
            case when scope is not null then jsonb_build_object('scope', scope) else '{}'::jsonb end
            || case when payload is not null then jsonb_build_object('payload', payload) else '{}'::jsonb end
            || case when project is not null then jsonb_build_object('project', project) else '{}'::jsonb end
            || case when actor is not null then jsonb_build_object('actor', actor) else '{}'::jsonb end
            || case when extra is not null then jsonb_build_object('extra', extra) else '{}'::jsonb end
        ) as ocsf,
        loaded_at
    from parts

)

select * from records
