{{ openai_audit_incremental_config(key=['organization', 'id']) }}
{#- The login events the six login detections read, narrowed to what they use, so that each
    build rescans a small table instead of every event's payload.

    Only session events count: the login key is the lower-cased actor.session.user.email, else
    actor.session.user.id, and it is null (the login rules ignore the event) for an event whose
    actor is an API key, which is no person's login. `user_id` and `email` are the session
    user's, as the event gives them (the login key's user). Coordinates come from staging
    (a located event has both, in range, not (0, 0)). Incremental on load time, like staging,
    so an event listed late lands once; merged on (`organization`, `id`). -#}

with logins as (

    select
        organization,
        id,
        type,
        effective_at,
        loaded_at,
        actor_type,
        nullif({{ openai_audit_json_text('actor', ['session', 'user', 'id']) }}, '') as user_id,
        nullif({{ openai_audit_json_text('actor', ['session', 'user', 'email']) }}, '') as email,
        ip_address,
        country,
        city,
        latitude,
        longitude,
        nullif(user_agent, '') as user_agent
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
    case
        when actor_type is distinct from 'api_key' then coalesce(lower(email), user_id)
    end as login_key,
    case when actor_type is distinct from 'api_key' then user_id end as user_id,
    case when actor_type is distinct from 'api_key' then email end as email,
    ip_address,
    country,
    city,
    latitude,
    longitude,
    user_agent
from logins
