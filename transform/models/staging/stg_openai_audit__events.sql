{{ openai_audit_incremental_config(key=['organization', 'id'], indexes=[
    {'columns': ['type', 'effective_at']},
]) }}
{#- One row per audit event, with the actor, project, payload id and session details flattened.
    Incremental on when the loader wrote the row, not on effective_at: an event the API listed
    late (read again by the daily reconcile run) has an old effective_at but a new load time,
    and lands here once, merged on (`organization`, `id`). -#}

with landed as (

    {{ openai_audit_select_source('audit_logs') | indent(4) }}

),

events as (

    select
        *,
        coalesce(_sdc_batched_at, _sdc_received_at, _sdc_extracted_at) as loaded_at
    from landed
    where id is not null
    {%- if is_incremental() %}
        -- `>=`: the last batch of the previous build is merged again (same rows, same result),
        -- so that a batch the loader was still writing then is not skipped
        and coalesce(_sdc_batched_at, _sdc_received_at, _sdc_extracted_at)
            >= {{ openai_audit_loaded_since() }}
    {%- endif %}

),

flattened as (

    select
        organization,
        id,
        type,
        effective_at,
        scope,
        {{ openai_audit_json_text('actor', ['type']) }} as actor_type,
        coalesce(
            {{ openai_audit_json_text('actor', ['session', 'user', 'id']) }},
            {{ openai_audit_json_text('actor', ['api_key', 'user', 'id']) }}
        ) as actor_user_id,
        coalesce(
            {{ openai_audit_json_text('actor', ['session', 'user', 'email']) }},
            {{ openai_audit_json_text('actor', ['api_key', 'user', 'email']) }}
        ) as actor_email,
        {{ openai_audit_json_text('actor', ['api_key', 'id']) }} as actor_api_key_id,
        {{ openai_audit_json_text('actor', ['api_key', 'service_account', 'id']) }}
            as actor_service_account_id,
        nullif(btrim({{ openai_audit_json_text('actor', ['session', 'ip_address']) }}), '')
            as ip_address,
        nullif(upper(btrim(
            {{ openai_audit_json_text('actor', ['session', 'ip_address_details', 'country']) }}
        )), '') as country,
        nullif(btrim(
            {{ openai_audit_json_text('actor', ['session', 'ip_address_details', 'region']) }}
        ), '') as region,
        nullif(btrim(
            {{ openai_audit_json_text('actor', ['session', 'ip_address_details', 'city']) }}
        ), '') as city,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'latitude']) }}
            as latitude_value,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'longitude']) }}
            as longitude_value,
        {{ openai_audit_json_text('actor', ['session', 'user_agent']) }} as user_agent,
        {{ openai_audit_json_text('project', ['id']) }} as project_id,
        {{ openai_audit_json_text('project', ['name']) }} as project_name,
        {{ openai_audit_json_text('payload', ['id']) }} as object_id,
        actor,
        project,
        payload,
        extra,
        loaded_at
    from events

)

select
    organization,
    id,
    type,
    effective_at,
    scope,
    actor_type,
    actor_user_id,
    actor_email,
    actor_api_key_id,
    actor_service_account_id,
    ip_address,
    country,
    region,
    city,
    -- a located event has both coordinates, in range, and not (0, 0) (a geolocation default)
    case when located then latitude_value::double precision end as latitude,
    case when located then longitude_value::double precision end as longitude,
    user_agent,
    project_id,
    project_name,
    object_id,
    actor,
    project,
    payload,
    extra,
    loaded_at
from (
    select
        *,
        coalesce(
            latitude_value between -90 and 90
            and longitude_value between -180 and 180
            and not (latitude_value = 0 and longitude_value = 0),
            false
        ) as located
    from flattened
) as checked
