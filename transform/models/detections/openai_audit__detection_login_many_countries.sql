{{ config(materialized='table') }}
{#- login.succeeded of one login key from at least `min_countries` distinct countries within the
    window. Events without a country are ignored; countries are compared trimmed and
    upper-cased (int_openai_audit__login_events). One alert
    per burst of the key's logins with a country (no gap longer than the window), detected at
    the login that first brings a window to the threshold. -#}
{%- set min_countries = var('openai_audit_many_countries_min_countries') | int %}
{%- set window_hours = var('openai_audit_many_countries_window_hours') | int %}
{%- set window = "interval '" ~ window_hours ~ " hours'" %}

with matches as (

    select
        id,
        effective_at,
        login_key as burst_key,
        country as value
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.succeeded'

),

-- a key that never logged in from that many countries cannot fire: it is left out before
-- the sorts below (hash aggregates only, so an hourly build does not sort all of history)
candidate_keys as (

    select burst_key
    from (
        select burst_key, value
        from matches
        where burst_key is not null and value is not null
        group by burst_key, value
    ) as countries
    group by burst_key
    having count(*) >= {{ min_countries }}

),

gaps as (

    select
        *,
        case
            when effective_at - lag(effective_at) over (
                partition by burst_key order by effective_at, id
            ) <= {{ window }} then 0
            else 1
        end as starts_burst
    from matches
    where value is not null and burst_key in (select burst_key from candidate_keys)

),

bursts as (

    select
        *,
        sum(starts_burst) over (
            partition by burst_key order by effective_at, id rows unbounded preceding
        ) as burst
    from gaps

),

-- a burst with fewer distinct values than the threshold cannot reach it in any window, so
-- only the others pay for the pairwise count below
candidates as (

    select burst_key, burst
    from bursts
    group by burst_key, burst
    having count(distinct value) >= {{ min_countries }}

),

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

completions as (

    select distinct on (burst_key, burst)
        burst_key,
        burst,
        effective_at
    from windowed
    where distinct_values >= {{ min_countries }}
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
    md5('login_many_countries:' || event_ids[1]) as alert_id,
    'login_many_countries'::text as detection_id,
    'high'::text as severity,
    detected_at,
    burst_key as actor,
    event_ids,
    format(
        '%s successful logins for %s from %s countries, at least %s within %s hours',
        cardinality(event_ids), burst_key, distinct_values, {{ min_countries }},
        {{ window_hours }}
    ) as summary
from alerts
