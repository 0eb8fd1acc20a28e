{#- Spans of each organization's scope, after the start of the first window the ledger holds and before the end
    of its last, that no window of any run covered. A window read with a server-side filter
    (`filtered`) asked for only part of the events: it covers nothing. -#}

with reads as (

    select organization, scope, window_start, window_end, filtered
    from {{ ref('stg_openai_audit__audit_log_reads') }}
    where scope is not null
        and window_start is not null
        and window_end > window_start

),

bounds as (

    select organization, scope, min(window_start) as first_start, max(window_end) as last_end
    from reads
    group by organization, scope

),

covering as (

    select distinct organization, scope, window_start, window_end
    from reads
    where filtered is false

),

ordered as (

    select
        organization,
        scope,
        window_start,
        window_end,
        -- the furthest any earlier window reached
        max(window_end) over (
            partition by organization, scope
            order by window_start, window_end
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from covering

),

reach as (

    select organization, scope, min(window_start) as covered_from, max(window_end) as covered_to
    from covering
    group by organization, scope

),

gaps as (

    -- between covering windows
    select organization, scope, covered_until as gap_start, window_start as gap_end
    from ordered
    where covered_until < window_start

    union all

    -- before the first covering window (or the whole range, when nothing covered it)
    select bounds.organization, bounds.scope, bounds.first_start,
        coalesce(reach.covered_from, bounds.last_end)
    from bounds
    left join reach
        on reach.organization is not distinct from bounds.organization
        and reach.scope = bounds.scope
    where reach.covered_from is null or bounds.first_start < reach.covered_from

    union all

    -- after the last covering window
    select bounds.organization, bounds.scope, reach.covered_to, bounds.last_end
    from bounds
    inner join reach
        on reach.organization is not distinct from bounds.organization
        and reach.scope = bounds.scope
    where reach.covered_to < bounds.last_end

)

select
    organization,
    scope,
    gap_start,
    gap_end,
    gap_end - gap_start as duration
from gaps
