{{ config(materialized='table') }}
{#- A login.succeeded of a login key with at least `min_failures` login.failed of the same key
    in the window before it ("before": a strictly earlier second). One alert per burst of the
    key's logins (no gap longer than the window), completed by the first such success. -#}
{%- set min_failures = var('openai_audit_brute_force_min_failures') | int %}
{%- set window_minutes = var('openai_audit_brute_force_window_minutes') | int %}
{%- set window = "interval '" ~ window_minutes ~ " minutes'" %}

with logins as (

    select
        id,
        type,
        effective_at,
        login_key
    from {{ ref('int_openai_audit__login_events') }}
    where type in ('login.failed', 'login.succeeded') and login_key is not null

),

-- the keys that can fire: `min_failures` of their failures within one window; the burst logic
-- below runs for those keys alone
candidate_keys as (

    {{ openai_audit_keys_with_events_in_window(
        'logins', 'login_key', min_failures, window, where="type = 'login.failed'"
    ) | indent(4) }}

),

scored as (

    select
        id,
        type,
        effective_at,
        login_key,
        -- failures in [t - window, t] minus those in the same second, which are not "before"
        count(*) filter (where type = 'login.failed') over (
            partition by login_key order by effective_at
            range between {{ window }} preceding and current row
        ) - count(*) filter (where type = 'login.failed') over (
            partition by login_key, effective_at
        ) as failures_before,
        {{ openai_audit_starts_burst('login_key', window) | indent(8) }} as starts_burst
    from logins
    where login_key in (select login_key from candidate_keys)

),

bursts as (

    select
        *,
        type = 'login.succeeded' and failures_before >= {{ min_failures }} as completes,
        {{ openai_audit_burst('login_key') | indent(8) }} as burst
    from scored

),

alerts as (

    select
        login_key,
        array_agg(id order by effective_at, id)::text[] as event_ids,
        min(effective_at) filter (where completes) as detected_at,
        (array_agg(failures_before order by effective_at, id) filter (where completes))[1]
            as failures_before
    from bursts
    group by login_key, burst
    having bool_or(completes)

)

select
    md5('login_brute_force_success:' || event_ids[1]) as alert_id,
    'login_brute_force_success'::text as detection_id,
    'high'::text as severity,
    detected_at,
    login_key as actor,
    event_ids,
    format(
        'Successful login for %s after %s failed logins in the %s minutes before it',
        login_key, failures_before, {{ window_minutes }}
    ) as summary
from alerts
