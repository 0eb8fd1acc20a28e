{#- Every access-review finding (docs/sql.md, "Access review"): one row per finding, the five
    checks unioned, each over the live rows of the latest inventory snapshot. -#}

{%- set checks = [
    'openai_audit__review_key_owner_without_access',
    'openai_audit__review_admin_key_unused_90d',
    'openai_audit__review_project_key_unused_90d',
    'openai_audit__review_owner_role_holder',
    'openai_audit__review_invite_pending_30d',
] %}

with findings as (
{%- for check in checks %}

    select organization, check_id, severity, subject_type, subject_id, project_id, detail
    from {{ ref(check) }}
    {%- if not loop.last %}

    union all
    {%- endif %}
{%- endfor %}

)

select
    md5(
        coalesce(organization, '') || '|' || check_id || '|' || coalesce(project_id, '') || '|'
        || subject_id
    ) as finding_id,
    organization,
    check_id,
    severity,
    subject_type,
    subject_id,
    project_id,
    detail
from findings
