{{ config(materialized='table') }}
{#- At least `min_failures` login.failed of one login key within the window (first and last at
    most the window apart). One alert per burst of the key's failures (no gap longer than the
    window), detected at the failure that first brings a window to the threshold. -#}
{%- set min_failures = var('openai_audit_failures_burst_min_failures') | int %}
{%- set window_minutes = var('openai_audit_failures_burst_window_minutes') | int %}
{%- set window = "interval '" ~ window_minutes ~ " minutes'" %}

with failures as (

    select
        id,
        effective_at,
        login_key
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.failed' and login_key is not null

),

-- the keys that can fire: `min_failures` of their failures within one window; the burst logic
-- below runs for those keys alone
candidate_keys as (

    {{ openai_audit_keys_with_events_in_window(
        'failures', 'login_key', min_failures, window, where='login_key is not null'
    ) | indent(4) }}

),

scored as (

    select
        id,
        effective_at,
        login_key,
        -- failures in [t - window, t] up to this one in (effective_at, id) order: the range
        -- frame counts every event of this second, so drop those ordered after this one
        count(*) over (
            partition by login_key order by effective_at
            range between {{ window }} preceding and current row
        ) - count(*) over (partition by login_key, effective_at)
        + row_number() over (partition by login_key, effective_at order by id) as in_window,
        {{ openai_audit_starts_burst('login_key', window) | indent(8) }} as starts_burst
    from failures
    where login_key in (select login_key from candidate_keys)

),

bursts as (

    select
        *,
        {{ openai_audit_burst('login_key') | indent(8) }} as burst
    from scored

),

alerts as (

    select
        login_key,
        array_agg(id order by effective_at, id)::text[] as event_ids,
        min(effective_at) filter (where in_window >= {{ min_failures }}) as detected_at
    from bursts
    group by login_key, burst
    having max(in_window) >= {{ min_failures }}

)

select
    md5('login_failures_burst:' || event_ids[1]) as alert_id,
    'login_failures_burst'::text as detection_id,
    'medium'::text as severity,
    detected_at,
    login_key as actor,
    event_ids,
    format(
        '%s failed logins for %s, at least %s within %s minutes',
        cardinality(event_ids), login_key, {{ min_failures }},
        {{ window_minutes }}
    ) as summary
from alerts
