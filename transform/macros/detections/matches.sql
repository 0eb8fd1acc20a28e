{#- What every detection outputs: one row per match, with the columns of
    int_openai_audit__alert_matches, in its order. Each detection's rule is a macro
    (openai_audit_detection_sql), so that the detection's own model, the union of matches and
    a rule built on other rules' matches all run the same SQL without a dbt dependency on a
    model that may be disabled. -#}

{#- The match columns, in order, from SQL expressions over the rule's rows. The defaults read
    columns of the same names (int_openai_audit__detection_events). -#}
{% macro openai_audit_match_columns(
    detection_id, subject_type, subject, severity, event_ids, needed_loaded_at, detail,
    episode='null', match_id='id', match_at='effective_at', organization='organization',
    actor_user_id='actor_user_id', actor_email='actor_email',
    actor_api_key_id='actor_api_key_id', actor_service_account_id='actor_service_account_id'
) -%}
    ({{ organization }})::text as organization,
    '{{ detection_id }}'::text as detection_id,
    '{{ subject_type }}'::text as subject_type,
    ({{ subject }})::text as subject,
    ({{ match_id }})::text as match_id,
    ({{ match_at }})::timestamptz as match_at,
    ({{ severity }})::text as severity,
    ({{ event_ids }})::text[] as event_ids,
    ({{ needed_loaded_at }})::timestamptz as needed_loaded_at,
    ({{ actor_user_id }})::text as actor_user_id,
    ({{ actor_email }})::text as actor_email,
    ({{ actor_api_key_id }})::text as actor_api_key_id,
    ({{ actor_service_account_id }})::text as actor_service_account_id,
    ({{ episode }})::text as episode,
    ({{ detail }})::text as detail
{%- endmacro %}

{#- The match columns' names, in order. -#}
{% macro openai_audit_match_column_names() -%}
    {{ return([
        'organization', 'detection_id', 'subject_type', 'subject', 'match_id', 'match_at',
        'severity', 'event_ids', 'needed_loaded_at', 'actor_user_id', 'actor_email',
        'actor_api_key_id', 'actor_service_account_id', 'episode', 'detail',
    ]) }}
{%- endmacro %}

{#- The subject of an actor rule: the actor (user id, else service account id, else e-mail),
    else 'unknown', never null. -#}
{% macro openai_audit_actor_subject() -%}
    coalesce(actor, 'unknown')
{%- endmacro %}

{#- Who acted, for a detail sentence: the e-mail, else the user id, else the service account,
    else the API key, with the API key in brackets when the key acted for someone. -#}
{% macro openai_audit_match_who() -%}
    (coalesce(
        actor_email, actor_user_id, 'service account ' || actor_service_account_id,
        'API key ' || actor_api_key_id, 'an unknown actor'
    ) || case
        when actor_api_key_id is not null
            and coalesce(actor_email, actor_user_id, actor_service_account_id) is not null
            then ' (API key ' || actor_api_key_id || ')'
        else ''
    end)
{%- endmacro %}

{#- The matches of `detection_id`: a full select with the match columns. `since` (a rule of
    openai_audit_matches_bounded_ids only): none for every match, else the matches at or after
    each organization's time in it (openai_audit_since_condition). -#}
{% macro openai_audit_detection_sql(detection_id, since=none) -%}
    {%- if detection_id == 'login_brute_force_success' -%}
        {{ openai_audit_detection_login_brute_force_success(since) }}
    {%- elif detection_id == 'login_failures_burst' -%}
        {{ openai_audit_detection_login_failures_burst(since) }}
    {%- elif detection_id == 'login_credential_stuffing' -%}
        {{ openai_audit_detection_login_credential_stuffing(since) }}
    {%- elif detection_id == 'login_password_spray' -%}
        {{ openai_audit_detection_login_password_spray(since) }}
    {%- elif detection_id == 'login_impossible_travel' -%}
        {{ openai_audit_detection_login_impossible_travel(since) }}
    {%- elif detection_id == 'login_many_countries' -%}
        {{ openai_audit_detection_login_many_countries(since) }}
    {%- elif detection_id == 'owner_role_granted' -%}
        {{ openai_audit_detection_owner_role_granted() }}
    {%- elif detection_id == 'rbac_role_assigned' -%}
        {{ openai_audit_detection_rbac_role_assigned() }}
    {%- elif detection_id == 'admin_api_key_created' -%}
        {{ openai_audit_detection_admin_api_key_created() }}
    {%- elif detection_id == 'ip_allowlist_changed' -%}
        {{ openai_audit_detection_ip_allowlist_changed() }}
    {%- elif detection_id == 'scim_changed' -%}
        {{ openai_audit_detection_scim_changed() }}
    {%- elif detection_id == 'api_call_logging_changed' -%}
        {{ openai_audit_detection_api_call_logging_changed() }}
    {%- elif detection_id == 'sso_connection_changed' -%}
        {{ openai_audit_detection_sso_connection_changed() }}
    {%- elif detection_id == 'checkpoint_shared_outside' -%}
        {{ openai_audit_detection_checkpoint_shared_outside() }}
    {%- elif detection_id == 'credential_sprawl' -%}
        {{ openai_audit_detection_credential_sprawl(since) }}
    {%- elif detection_id == 'activity_after_user_deleted' -%}
        {{ openai_audit_detection_activity_after_user_deleted(since) }}
    {%- elif detection_id == 'logging_disabled_then_privileged' -%}
        {{ openai_audit_detection_logging_disabled_then_privileged() }}
    {%- else -%}
        {{ exceptions.raise_compiler_error('openai_audit_detection_sql: unknown detection ' ~ detection_id) }}
    {%- endif -%}
{%- endmacro %}

{#- The model of one detection: a view of its matches, built only when the detection is
    enabled by `openai_audit_detections`. A view costs nothing to build; the union of matches
    runs the same rule itself. `enabled` is set only to turn the model off: set in the model,
    `true` would override a project's `+enabled: false`. -#}
{% macro openai_audit_detection_model(detection_id) -%}
    {{ config(materialized='view') }}
    {%- if not openai_audit_detection_enabled(detection_id) %}
    {{ config(enabled=false) }}
    {%- endif %}
    {{ openai_audit_detection_sql(detection_id) }}
{%- endmacro %}
