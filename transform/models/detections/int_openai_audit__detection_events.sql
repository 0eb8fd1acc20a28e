{{ openai_audit_incremental_config(key=['organization', 'id'], indexes=[
    {'columns': ['type', 'effective_at']},
    {'columns': ['actor_user_id', 'effective_at']},
]) }}
{#- Every event, narrowed to what the detections other than the login ones read: who acted (the
    four typed actor columns as staging gives them, the actor type, and `actor`: the user id,
    else the service account id, else the e-mail), from where (IP, country, city, user agent),
    on what (`object_id`, the payload's id), in which project, and the payload of the few types
    whose payload a detection reads (a detection that reads another type's payload adds it
    here). The detections rebuild from this small table, through its indexes, instead of
    rescanning staging's payloads on every build. Incremental on load time, like staging, and
    merged on (`organization`, `id`). -#}

select
    organization,
    id,
    type,
    effective_at,
    loaded_at,
    nullif(actor_type, '') as actor_type,
    nullif(actor_user_id, '') as actor_user_id,
    nullif(actor_email, '') as actor_email,
    nullif(actor_api_key_id, '') as actor_api_key_id,
    nullif(actor_service_account_id, '') as actor_service_account_id,
    coalesce(
        nullif(actor_user_id, ''), nullif(actor_service_account_id, ''), nullif(actor_email, '')
    ) as actor,
    nullif(object_id, '') as object_id,
    nullif(project_id, '') as project_id,
    ip_address,
    country,
    city,
    nullif(user_agent, '') as user_agent,
    case
        when type in (
            'user.added', 'user.updated', 'invite.sent', 'organization.updated',
            'role.assignment.created', 'checkpoint.permission.created'
        )
            then payload
    end as payload
from {{ ref('stg_openai_audit__events') }}
{%- if is_incremental() %}
-- `>=`: the last batch of the previous build is merged again, as staging does
where loaded_at >= {{ openai_audit_loaded_since() }}
{%- endif %}
