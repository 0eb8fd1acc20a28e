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

{#- A whole "distinct values within a window" detection: the alerts of the keys with at least
    `min_distinct` distinct values within `window_length` `window_unit` ('minutes' or 'hours'),
    one per burst of the key's events, detected at the event that first brings a window (of
    that burst) to the threshold.

    The caller's body (`{% call %}` block) is the query of the rule's events, with the columns
    `id`, `effective_at`, `burst_key` and `value`; events without a key or a value are ignored.
    The output has the columns of every detection (openai_audit__alerts): the alert id is the
    md5 of `detection_id` and the burst's first event id, the actor is the key, and the summary
    is `summary`, a format() string given, in order, the number of events of the burst, the key,
    its number of distinct values, `min_distinct` and `window_length`.

    `prefilter`: how the keys that cannot fire are left out before the sorts.
    'events_in_window' (openai_audit_keys_with_events_in_window) suits short windows;
    'distinct_values' keeps the keys with at least `min_distinct` distinct values over all
    time, with hash aggregates only, which suits long windows where most keys pass the other. -#}
{% macro openai_audit_distinct_in_window_detection(
    detection_id, severity, min_distinct, window_length, window_unit, summary,
    prefilter='events_in_window'
) -%}
{%- set window = "interval '" ~ window_length ~ " " ~ window_unit ~ "'" -%}
with matches as (

    {{ caller() | trim | indent(4) }}

),

candidate_keys as (

    {% if prefilter == 'events_in_window' -%}
    {{ openai_audit_keys_with_events_in_window(
        'matches', 'burst_key', min_distinct, window,
        where='burst_key is not null and value is not null'
    ) | indent(4) }}
    {%- elif prefilter == 'distinct_values' -%}
    select burst_key
    from (
        select burst_key, value
        from matches
        where burst_key is not null and value is not null
        group by burst_key, value
    ) as key_values
    group by burst_key
    having count(*) >= {{ min_distinct }}
    {%- else -%}
    {{ exceptions.raise_compiler_error("unknown prefilter: " ~ prefilter) }}
    {%- endif %}

),

gaps as (

    select
        *,
        {{ openai_audit_starts_burst('burst_key', window) | indent(8) }} as starts_burst
    from matches
    where value is not null and burst_key in (select burst_key from candidate_keys)

),

bursts as (

    select
        *,
        {{ openai_audit_burst('burst_key') | indent(8) }} as burst
    from gaps

),

-- a burst with fewer distinct values than the threshold cannot reach it in any window, so
-- only the others pay for the pairwise count below
candidates as (

    select burst_key, burst
    from bursts
    group by burst_key, burst
    having count(distinct value) >= {{ min_distinct }}

),

-- per event of those bursts: the distinct values of its burst's events in the window ending at
-- it, up to it in (effective_at, id) order
windowed as (

    select
        e.burst_key,
        e.burst,
        e.id,
        e.effective_at,
        count(distinct f.value) as distinct_values
    from bursts as e
    inner join candidates as c on e.burst_key = c.burst_key and e.burst = c.burst
    inner join bursts as f
        on
            f.burst_key = e.burst_key
            and f.burst = e.burst
            and f.effective_at >= e.effective_at - {{ window }}
            and (f.effective_at, f.id) <= (e.effective_at, e.id)
    group by e.burst_key, e.burst, e.id, e.effective_at

),

-- the first event of each burst that brings its window to the threshold
completions as (

    select distinct on (burst_key, burst)
        burst_key,
        burst,
        effective_at
    from windowed
    where distinct_values >= {{ min_distinct }}
    order by burst_key, burst, effective_at, id

),

alerts as (

    select
        b.burst_key,
        c.effective_at as detected_at,
        array_agg(b.id order by b.effective_at, b.id)::text[] as event_ids,
        count(distinct b.value) as distinct_values
    from bursts as b
    inner join completions as c on b.burst_key = c.burst_key and b.burst = c.burst
    group by b.burst_key, b.burst, c.effective_at

)

select
    md5('{{ detection_id }}:' || event_ids[1]) as alert_id,
    '{{ detection_id }}'::text as detection_id,
    '{{ severity }}'::text as severity,
    detected_at,
    burst_key as actor,
    event_ids,
    format(
        '{{ summary | replace("'", "''") }}',
        cardinality(event_ids), burst_key, distinct_values, {{ min_distinct }},
        {{ window_length }}
    ) as summary
from alerts
{%- endmacro %}
