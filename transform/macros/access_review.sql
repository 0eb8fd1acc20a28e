{#- The two "unused key" checks: a live key created more than `days` days before the snapshot,
    not expired at it, and last used more than `days` days before it or never. The snapshot's
    time is the latest `_sdc_extracted_at` of the table (per organization), never the build's clock, so that a
    rebuild over the same rows finds the same keys. Days are counted as 24 hours: an interval
    in days would follow daylight saving in the session's time zone. -#}
{% macro openai_audit_unused_key_check(relation, check_id, severity, subject_type, project_id_column, days=90) -%}
with keys as (

    select * from {{ relation }}

),

snapshot as (

    select organization, max(_sdc_extracted_at) as taken_at
    from keys
    group by organization

)

select
    keys.organization,
    '{{ check_id }}'::text as check_id,
    '{{ severity }}'::text as severity,
    '{{ subject_type }}'::text as subject_type,
    keys.id as subject_id,
    {{ 'keys.' ~ project_id_column if project_id_column else 'null::text' }} as project_id,
    format('Key %s (%s) created %s, %s',
        keys.id, coalesce(keys.name, 'unnamed'),
        to_char(keys.created_at at time zone 'UTC', 'YYYY-MM-DD'),
        case
            when keys.last_used_at is null then 'never used'
            else 'last used ' || to_char(keys.last_used_at at time zone 'UTC', 'YYYY-MM-DD')
        end) as detail
from keys
inner join snapshot on snapshot.organization is not distinct from keys.organization
where not keys.is_deleted
    and keys.created_at < snapshot.taken_at - interval '{{ days * 24 }} hours'
    and (keys.expires_at is null or keys.expires_at > snapshot.taken_at)
    and (keys.last_used_at is null or keys.last_used_at < snapshot.taken_at - interval '{{ days * 24 }} hours')
{%- endmacro %}
