{{ openai_audit_incremental_config() }}
{#- The login events the six login detections read, narrowed to what they use, so that each
    build rescans a small table instead of every event's payload.

    The login key is the lower-cased session e-mail, else the user id (null: the login rules
    ignore the event). Coordinates come from actor.session.ip_address_details with the macro
    staging uses (a JSON number or a numeric string); out of range or (0, 0) is unknown.
    Incremental on load time, like staging, so an event listed late lands once. -#}

with logins as (

    select
        organization,
        id,
        type,
        effective_at,
        loaded_at,
        coalesce(lower(nullif(actor_email, '')), nullif(actor_user_id, '')) as login_key,
        nullif(btrim(ip_address), '') as ip_address,
        upper(nullif(btrim(country), '')) as country,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'latitude']) }}
            as latitude,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'longitude']) }}
            as longitude
    from {{ ref('stg_openai_audit__events') }}
    where
        type in ('login.failed', 'login.succeeded')
        {%- if is_incremental() %}
        -- `>=`: the last batch of the previous build is merged again, as staging does
        and loaded_at >= {{ openai_audit_loaded_since() }}
        {%- endif %}

)

select
    organization,
    id,
    type,
    effective_at,
    loaded_at,
    login_key,
    ip_address,
    country,
    case when located then latitude::double precision end as latitude,
    case when located then longitude::double precision end as longitude
from (
    select
        *,
        coalesce(
            latitude between -90 and 90
            and longitude between -180 and 180
            and not (latitude = 0 and longitude = 0),
            false
        ) as located
    from logins
) as checked
