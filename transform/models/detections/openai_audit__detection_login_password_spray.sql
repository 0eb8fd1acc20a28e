{{ config(materialized='table') }}
{#- login.failed of at least `min_login_keys` distinct login keys from one IP within the window.
    Events without an IP or a login key are ignored. One alert per burst of the IP's failures (no
    gap longer than the window), detected at the failure that first brings a window to the
    threshold. The alert's actor is the IP: it is all that is known of who sprays. -#}
{%- set min_login_keys = var('openai_audit_password_spray_min_login_keys') | int %}
{%- set window_minutes = var('openai_audit_password_spray_window_minutes') | int %}
{%- set window = "interval '" ~ window_minutes ~ " minutes'" %}

with matches as (

    select
        id,
        effective_at,
        ip_address as burst_key,
        login_key as value
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.failed'

),

-- the keys that can fire: `min_login_keys` of their events within one window, i.e. an event
-- whose (min_login_keys - 1)th predecessor is at most the window before it (one sort of the
-- rule's events); the burst logic below runs for those keys alone
candidate_keys as (

    select distinct burst_key
    from (
        select
            burst_key,
            effective_at,
            lag(effective_at, {{ min_login_keys - 1 }}) over (
                partition by burst_key order by effective_at, id
            ) as earlier
        from matches
        where burst_key is not null and value is not null
    ) as spans
    where earlier >= effective_at - {{ window }}

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
    having count(distinct value) >= {{ min_login_keys }}

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
    where distinct_values >= {{ min_login_keys }}
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
    md5('login_password_spray:' || event_ids[1]) as alert_id,
    'login_password_spray'::text as detection_id,
    'medium'::text as severity,
    detected_at,
    burst_key as actor,
    event_ids,
    format(
        '%s failed logins from IP %s for %s distinct login keys, at least %s within %s minutes',
        cardinality(event_ids), burst_key, distinct_values, {{ min_login_keys }},
        {{ window_minutes }}
    ) as summary
from alerts
