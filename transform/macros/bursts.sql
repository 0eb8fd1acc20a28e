{#- The window and burst logic the threshold detections share. Every one of them groups a key's
    events (`id`, `effective_at`, ordered by both) into bursts: runs of events with no gap
    longer than the window, one alert per burst. -#}

{#- The keys of `relation` that have at least `min_events` events (the rows `where` keeps, a SQL
    condition) within one window: an event whose (min_events - 1)th predecessor is at most
    `window` (an interval literal) before it. One sort of the rule's events; a detection runs its
    burst logic for these keys alone, since no other key can reach a threshold of that many
    events (or distinct values) in one window. -#}
{% macro openai_audit_keys_with_events_in_window(relation, key, min_events, window, where=none) -%}
    select distinct {{ key }}
    from (
        select
            {{ key }},
            effective_at,
            lag(effective_at, {{ min_events - 1 }}) over (
                partition by {{ key }} order by effective_at, id
            ) as earlier
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as spans
    where earlier >= effective_at - {{ window }}
{%- endmacro %}

{#- 1 when the event starts a burst of its key (the first one, or more than `window` after the
    previous one), else 0; the running sum of it is the burst's number (openai_audit_burst). -#}
{% macro openai_audit_starts_burst(key, window) -%}
    case
        when effective_at - lag(effective_at) over (
            partition by {{ key }} order by effective_at, id
        ) <= {{ window }} then 0
        else 1
    end
{%- endmacro %}

{#- The number of the event's burst within its key: the running sum of `starts_burst`. -#}
{% macro openai_audit_burst(key) -%}
    sum(starts_burst) over (
        partition by {{ key }} order by effective_at, id rows unbounded preceding
    )
{%- endmacro %}

{#- The matches of a "distinct values within a window" rule, as CTEs named `wm_*` (the last,
    `wm_matches`, one row per match), to follow the caller's own CTEs after a comma.

    `relation` is a CTE of the rule's events with the columns `organization`, `id`,
    `effective_at`, `loaded_at`, `burst_key` and `value`; events without a key or a value are
    ignored. An event matches when the events of its key in the `window_length` `window_unit`
    ('minutes' or 'hours') ending at it, up to it in (effective_at, id) order, hold at least
    `min_distinct` distinct values. `wm_matches` has per match: `organization`, `burst_key`,
    `id`, `effective_at`, `event_ids` (the events counted, the match included, in order),
    `needed_loaded_at` (their latest load time), `distinct_values` and `value_list` (the
    distinct values, sorted).

    Keys that cannot match are left out before the sorts; `prefilter` says how.
    'events_in_window' (openai_audit_keys_with_events_in_window) suits short windows;
    'distinct_values' keeps the keys with at least `min_distinct` distinct values over all
    time, with hash aggregates only, which suits long windows where most keys pass the other.
    Then the key's events are cut into bursts (no gap longer than the window): a window never
    spans two bursts, so a burst with too few distinct values is left out before the pairwise
    count. -#}
{% macro openai_audit_window_matches(
    relation, min_distinct, window_length, window_unit, prefilter='events_in_window'
) -%}
{%- set window = "interval '" ~ window_length ~ " " ~ window_unit ~ "'" -%}
{%- set key = 'organization, burst_key' -%}
wm_candidate_keys as (

    {% if prefilter == 'events_in_window' -%}
    {{ openai_audit_keys_with_events_in_window(
        relation, key, min_distinct, window,
        where='burst_key is not null and value is not null'
    ) | indent(4) }}
    {%- elif prefilter == 'distinct_values' -%}
    select organization, burst_key
    from (
        select organization, burst_key, value
        from {{ relation }}
        where burst_key is not null and value is not null
        group by organization, burst_key, value
    ) as key_values
    group by organization, burst_key
    having count(*) >= {{ min_distinct }}
    {%- else -%}
    {{ exceptions.raise_compiler_error("unknown prefilter: " ~ prefilter) }}
    {%- endif %}

),

wm_gaps as (

    select
        organization,
        id,
        effective_at,
        loaded_at,
        burst_key,
        value,
        {{ openai_audit_starts_burst(key, window) | indent(8) }} as starts_burst
    from {{ relation }}
    where
        value is not null
        and (organization, burst_key) in (select organization, burst_key from wm_candidate_keys)

),

wm_bursts as (

    select
        *,
        {{ openai_audit_burst(key) | indent(8) }} as burst
    from wm_gaps

),

wm_candidates as (

    select organization, burst_key, burst
    from wm_bursts
    group by organization, burst_key, burst
    having count(distinct value) >= {{ min_distinct }}

),

wm_windowed as (

    select
        e.organization,
        e.burst_key,
        e.id,
        e.effective_at,
        array_agg(f.id order by f.effective_at, f.id)::text[] as event_ids,
        max(f.loaded_at) as needed_loaded_at,
        count(distinct f.value) as distinct_values,
        array_agg(distinct f.value order by f.value)::text[] as value_list
    from wm_bursts as e
    inner join wm_candidates as c
        on e.organization = c.organization and e.burst_key = c.burst_key and e.burst = c.burst
    inner join wm_bursts as f
        on
            f.organization = e.organization
            and f.burst_key = e.burst_key
            and f.burst = e.burst
            and f.effective_at >= e.effective_at - {{ window }}
            and (f.effective_at, f.id) <= (e.effective_at, e.id)
    group by e.organization, e.burst_key, e.id, e.effective_at

),

wm_matches as (

    select *
    from wm_windowed
    where distinct_values >= {{ min_distinct }}

)
{%- endmacro %}
