{#- One row per organization and scope of the coverage ledger: the span its unfiltered windows cover, how many
    distinct windows were read (filtered or not) and by how many runs, and how many gaps
    (openai_audit__coverage_gaps) lie between the first window and the last. -#}

with reads as (

    select *
    from {{ ref('stg_openai_audit__audit_log_reads') }}
    where scope is not null

),

scopes as (

    select
        organization,
        scope,
        min(window_start) filter (where filtered is false) as covered_from,
        max(window_end) filter (where filtered is false) as covered_to,
        count(distinct (window_start, window_end)) as windows,
        count(distinct (window_start, window_end)) filter (where filtered is false)
            as covering_windows,
        count(distinct run_id) as runs,
        max(read_at) as last_read_at
    from reads
    group by organization, scope

),

gaps as (

    select organization, scope, count(*) as gaps, sum(duration) as gap_duration
    from {{ ref('openai_audit__coverage_gaps') }}
    group by organization, scope

)

select
    scopes.organization,
    scopes.scope,
    scopes.covered_from,
    scopes.covered_to,
    scopes.windows,
    scopes.covering_windows,
    scopes.runs,
    coalesce(gaps.gaps, 0) as gaps,
    coalesce(gaps.gap_duration, interval '0') as gap_duration,
    scopes.last_read_at
from scopes
left join gaps
    on gaps.organization is not distinct from scopes.organization
    and gaps.scope = scopes.scope
