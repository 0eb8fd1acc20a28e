{#- One row per match of every enabled detection: the rules of the detections that
    `openai_audit_detections` leaves enabled and whose models dbt builds (dbt's own
    `+enabled: false` on a detection's model leaves it out too). The rules run here from their
    macros rather than from the detection models, so that no dependency on a disabled model
    can break this one. -#}
{#- JIT off: compiling this one long statement (17 rules) took PostgreSQL's JIT 19 s of a
    23 s build on a million events, which runs in 3 s without it.
    Incremental: a build recomputes only the matches new events can change, and the rules that
    are cheap whole (macros/detections/incremental_matches.sql says why this is exact). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=['set jit = off', '{{ openai_audit_matches_prune() }}'],
    post_hook=['{{ openai_audit_matches_mark() }}', 'reset jit'],
) }}
{%- set columns = openai_audit_match_column_names() %}
{%- set included = openai_audit_matches_included() %}
{%- set bounded = openai_audit_matches_bounded_ids() %}
{%- set since = openai_audit_matches_since() %}

{% for detection_id in included %}
select {{ columns | join(', ') }}
from (
    {{ openai_audit_detection_sql(
        detection_id, since=since if detection_id in bounded else none
    ) | indent(4) }}
) as {{ detection_id }}
union all
{% endfor %}
-- typed, and empty: the union's shape when every detection is disabled
select
    null::text as organization, null::text as detection_id, null::text as subject_type,
    null::text as subject, null::text as match_id, null::timestamptz as match_at,
    null::text as severity, null::text[] as event_ids, null::timestamptz as needed_loaded_at,
    null::text as actor_user_id, null::text as actor_email, null::text as actor_api_key_id,
    null::text as actor_service_account_id, null::text as episode, null::text as detail
where false
