{#- One row per match of every enabled detection: the rules of the detections that
    `openai_audit_detections` leaves enabled and whose models dbt builds (dbt's own
    `+enabled: false` on a detection's model leaves it out too). The rules run here from their
    macros rather than from the detection models, so that no dependency on a disabled model
    can break this one. -#}
{#- JIT off: compiling this one long statement (17 rules) took PostgreSQL's JIT 19 s of a
    23 s build on a million events, which runs in 3 s without it. -#}
{{ config(materialized='table', pre_hook='set jit = off', post_hook='reset jit') }}
{%- set columns = openai_audit_match_column_names() %}
{%- set included = [] %}
{%- for detection_id in openai_audit_detection_ids() %}
    {%- if openai_audit_detection_in_union(detection_id) %}
        {%- do included.append(detection_id) %}
    {%- endif %}
{%- endfor %}

{% for detection_id in included %}
select {{ columns | join(', ') }}
from (
    {{ openai_audit_detection_sql(detection_id) | indent(4) }}
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
