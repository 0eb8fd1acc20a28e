{#- The login rules, on int_openai_audit__login_events: session logins only, by login key (the
    lower-cased session e-mail, else the session user id; events without one are ignored).
    The actor of a match is the login key's user, as the match event names it. -#}

{#- A login rule "at least `min_distinct` distinct values among the events of a key within a
    window ending at the event": its events are the login events of `types` with a login key,
    keyed by `key` and counting `value` (SQL over int_openai_audit__login_events);
    `detail` is SQL over the match's `m.*` (openai_audit_window_matches) and its event's
    `e.*`; `severity` is the rule's, one for every match. -#}
{% macro openai_audit_login_window_matches(
    detection_id, severity, subject_type, types, key, value, min_distinct, window_length,
    window_unit, detail, prefilter='events_in_window', since=none
) -%}
with events as (

    select
        organization,
        id,
        effective_at,
        loaded_at,
        {{ key }} as burst_key,
        {{ value }} as value
    from {{ ref('int_openai_audit__login_events') }}
    where
        type in ('{{ types | join("', '") }}')
        and login_key is not null
        and {{ openai_audit_since_condition(since, "interval '" ~ window_length ~ " " ~ window_unit ~ "'") }}

),

{{ openai_audit_window_matches(
    'events', min_distinct, window_length, window_unit, prefilter=prefilter
) }}

select
    {{ openai_audit_match_columns(
        detection_id=detection_id,
        subject_type=subject_type,
        subject='m.burst_key',
        severity="'" ~ severity ~ "'",
        event_ids='m.event_ids',
        needed_loaded_at='m.needed_loaded_at',
        detail=detail,
        organization='m.organization',
        match_id='m.id',
        match_at='m.effective_at',
        actor_user_id='e.user_id',
        actor_email='e.email',
        actor_api_key_id='null',
        actor_service_account_id='null',
    ) | indent(4) }}
from wm_matches as m
inner join {{ ref('int_openai_audit__login_events') }} as e
    on m.organization = e.organization and m.id = e.id
where {{ openai_audit_since_condition(since, at='m.effective_at', organization='m.organization') }}
{%- endmacro %}

{#- A login.succeeded of a login key with at least `min_failures` login.failed of the same key
    in the `window_minutes` before it (strictly earlier seconds). The alert lists those
    failures. -#}
{% macro openai_audit_detection_login_brute_force_success(since=none) -%}
{%- set min_failures = openai_audit_detection_setting('login_brute_force_success', 'min_failures') | int %}
{%- set window_minutes = openai_audit_detection_setting('login_brute_force_success', 'window_minutes') | int %}
{%- set window = "interval '" ~ window_minutes ~ " minutes'" %}
with logins as (

    select *
    from {{ ref('int_openai_audit__login_events') }}
    where
        type in ('login.failed', 'login.succeeded')
        and login_key is not null
        and {{ openai_audit_since_condition(since, window) }}

),

-- the keys that can match: `min_failures` of their failures within one window
candidate_keys as (

    {{ openai_audit_keys_with_events_in_window(
        'logins', 'organization, login_key', min_failures, window,
        where="type = 'login.failed'"
    ) | indent(4) }}

),

-- per login of those keys: the failures of its key in [t - window, t), a strictly earlier
-- second (the range frame counts the whole current second, so that second is taken off)
scored as (

    select
        *,
        count(*) filter (where type = 'login.failed') over (
            partition by organization, login_key order by effective_at
            range between {{ window }} preceding and current row
        ) - count(*) filter (where type = 'login.failed') over (
            partition by organization, login_key, effective_at
        ) as failures
    from logins
    where (organization, login_key) in (select organization, login_key from candidate_keys)

),

matched as (

    select *
    from scored
    where type = 'login.succeeded' and failures >= {{ min_failures }}

),

-- the failures each match counted (a hash join on the key: matches are few)
counted as (

    select
        m.organization,
        m.id,
        array_agg(f.id order by f.effective_at, f.id)::text[] as failure_ids,
        max(f.loaded_at) as failures_loaded_at
    from matched as m
    inner join logins as f
        on
            f.organization = m.organization
            and f.login_key = m.login_key
            and f.type = 'login.failed'
            and f.effective_at >= m.effective_at - {{ window }}
            and f.effective_at < m.effective_at
    group by m.organization, m.id

),

successes as (

    select
        m.*,
        c.failure_ids,
        c.failures_loaded_at
    from matched as m
    inner join counted as c on m.organization = c.organization and m.id = c.id

)

select
    {{ openai_audit_match_columns(
        detection_id='login_brute_force_success',
        subject_type='login_key',
        subject='login_key',
        severity="'high'",
        event_ids='failure_ids || array[id]',
        needed_loaded_at='greatest(loaded_at, failures_loaded_at)',
        detail="'Successful login for ' || login_key || ' after ' || failures
            || ' failed logins in the " ~ window_minutes ~ " minutes before it'"
            ~ " || coalesce(' (from ' || ip_address || ')', '')",
        actor_user_id='user_id',
        actor_email='email',
        actor_api_key_id='null',
        actor_service_account_id='null',
    ) | indent(4) }}
from successes
where {{ openai_audit_since_condition(since) }}
{%- endmacro %}

{#- A login.failed that is at least the `min_failures`th login.failed of its key within the
    `window_minutes` ending at it. The alert lists the failures counted. -#}
{% macro openai_audit_detection_login_failures_burst(since=none) -%}
{%- set min_failures = openai_audit_detection_setting('login_failures_burst', 'min_failures') | int %}
{%- set window_minutes = openai_audit_detection_setting('login_failures_burst', 'window_minutes') | int %}
{{ openai_audit_login_window_matches(
    detection_id='login_failures_burst',
    since=since,
    severity='medium',
    subject_type='login_key',
    types=['login.failed'],
    key='login_key',
    value='id',
    min_distinct=min_failures,
    window_length=window_minutes,
    window_unit='minutes',
    detail="cardinality(m.event_ids) || ' failed logins for ' || m.burst_key || ' within "
        ~ window_minutes ~ " minutes'",
) }}
{%- endmacro %}

{#- A login.failed at which its key's failures of the last `window_minutes` come from at least
    `min_ips` distinct IPs (failures without an IP are ignored). -#}
{% macro openai_audit_detection_login_credential_stuffing(since=none) -%}
{%- set min_ips = openai_audit_detection_setting('login_credential_stuffing', 'min_ips') | int %}
{%- set window_minutes = openai_audit_detection_setting('login_credential_stuffing', 'window_minutes') | int %}
{{ openai_audit_login_window_matches(
    detection_id='login_credential_stuffing',
    since=since,
    severity='medium',
    subject_type='login_key',
    types=['login.failed'],
    key='login_key',
    value='ip_address',
    min_distinct=min_ips,
    window_length=window_minutes,
    window_unit='minutes',
    detail="cardinality(m.event_ids) || ' failed logins for ' || m.burst_key || ' from '
        || m.distinct_values || ' distinct IPs within " ~ window_minutes ~ " minutes: '
        || array_to_string(m.value_list, ', ')",
) }}
{%- endmacro %}

{#- A login.failed at which the failures of its IP in the last `window_minutes` name at least
    `min_login_keys` distinct login keys. The subject is the IP. -#}
{% macro openai_audit_detection_login_password_spray(since=none) -%}
{%- set min_login_keys = openai_audit_detection_setting('login_password_spray', 'min_login_keys') | int %}
{%- set window_minutes = openai_audit_detection_setting('login_password_spray', 'window_minutes') | int %}
{{ openai_audit_login_window_matches(
    detection_id='login_password_spray',
    since=since,
    severity='medium',
    subject_type='ip',
    types=['login.failed'],
    key='ip_address',
    value='login_key',
    min_distinct=min_login_keys,
    window_length=window_minutes,
    window_unit='minutes',
    detail="cardinality(m.event_ids) || ' failed logins from IP ' || m.burst_key || ' for '
        || m.distinct_values || ' distinct accounts within " ~ window_minutes ~ " minutes'",
) }}
{%- endmacro %}

{#- A login.succeeded at which its key's successes of the last `window_hours` come from at
    least `min_countries` distinct countries (successes without a country are ignored). -#}
{% macro openai_audit_detection_login_many_countries(since=none) -%}
{%- set min_countries = openai_audit_detection_setting('login_many_countries', 'min_countries') | int %}
{%- set window_hours = openai_audit_detection_setting('login_many_countries', 'window_hours') | int %}
{{ openai_audit_login_window_matches(
    detection_id='login_many_countries',
    since=since,
    severity='high',
    subject_type='login_key',
    types=['login.succeeded'],
    key='login_key',
    value='country',
    min_distinct=min_countries,
    window_length=window_hours,
    window_unit='hours',
    detail="'Successful logins for ' || m.burst_key || ' from ' || m.distinct_values
        || ' countries within " ~ window_hours ~ " hours: ' || array_to_string(m.value_list, ', ')",
    prefilter='distinct_values',
) }}
{%- endmacro %}

{#- The second of two consecutive located login.succeeded of one key (consecutive among its
    located ones, in (effective_at, id) order) more than `min_km` apart at more than `min_kmh`;
    two in the same second are infinitely fast. Distances are rounded to the metre, so that a
    pair exactly at the threshold does not fire on floating-point noise. The alert lists the
    first login of the pair. -#}
{% macro openai_audit_detection_login_impossible_travel(since=none) -%}
{%- set min_km = openai_audit_detection_setting('login_impossible_travel', 'min_km') %}
{%- set min_kmh = openai_audit_detection_setting('login_impossible_travel', 'min_kmh') %}
with all_located as (

    select *
    from {{ ref('int_openai_audit__login_events') }}
    where
        type = 'login.succeeded'
        and login_key is not null
        and latitude is not null
        and longitude is not null

),

located as (

    select *
    from all_located
    where {{ openai_audit_since_condition(since) }}
    {%- if since is not none %}
    -- a match is its login and the key's located login before it: the latest one before the
    -- time a bounded build starts at stands for all earlier ones
    union all
    select *
    from (
        select distinct on (organization, login_key) *
        from all_located
        where not {{ openai_audit_since_condition(since) }}
        order by organization, login_key, effective_at desc, id desc
    ) as latest_before
    {%- endif %}

),

-- a key that always logs in from the same place cannot travel: it is left out before the sort
-- below (hash aggregates only, so an hourly build does not sort all of history)
travelling_keys as (

    select organization, login_key
    from (
        select organization, login_key, latitude, longitude
        from located
        group by organization, login_key, latitude, longitude
    ) as places
    group by organization, login_key
    having count(*) > 1

),

pairs as (

    select
        *,
        lag(id) over by_key as previous_id,
        lag(effective_at) over by_key as previous_at,
        lag(loaded_at) over by_key as previous_loaded_at,
        lag(latitude) over by_key as previous_latitude,
        lag(longitude) over by_key as previous_longitude,
        lag(ip_address) over by_key as previous_ip_address,
        lag(country) over by_key as previous_country,
        lag(city) over by_key as previous_city
    from located
    where (organization, login_key) in (select organization, login_key from travelling_keys)
    window by_key as (partition by organization, login_key order by effective_at, id)

),

measured as (

    select
        *,
        -- haversine on a sphere of radius 6,371 km; least() guards asin against rounding above 1
        round((2 * 6371 * asin(least(1, sqrt(
            power(sin(radians(latitude - previous_latitude) / 2), 2)
            + cos(radians(previous_latitude)) * cos(radians(latitude))
            * power(sin(radians(longitude - previous_longitude) / 2), 2)
        ))))::numeric, 3) as distance_km,
        extract(epoch from effective_at - previous_at) as seconds
    from pairs
    where previous_id is not null

)

select
    {{ openai_audit_match_columns(
        detection_id='login_impossible_travel',
        subject_type='login_key',
        subject='login_key',
        severity="'high'",
        event_ids='array[previous_id, id]',
        needed_loaded_at='greatest(loaded_at, previous_loaded_at)',
        detail="'Logins of ' || login_key || ' from '
            || coalesce(previous_city || ', ', '') || coalesce(previous_country, 'an unknown country')
            || ' (' || coalesce(previous_ip_address, 'unknown IP') || ') and then from '
            || coalesce(city || ', ', '') || coalesce(country, 'an unknown country')
            || ' (' || coalesce(ip_address, 'unknown IP') || '), '
            || round(distance_km) || ' km apart in '
            || case
                when seconds = 0 then 'the same second (infinite km/h)'
                else case
                    when seconds < 120 then round(seconds) || ' seconds'
                    when seconds < 7200 then round(seconds / 60) || ' minutes'
                    else round(seconds / 3600, 1) || ' hours'
                end || ' (' || round(distance_km * 3600 / seconds) || ' km/h)'
            end",
        actor_user_id='user_id',
        actor_email='email',
        actor_api_key_id='null',
        actor_service_account_id='null',
    ) | indent(4) }}
from measured
where
    distance_km > {{ min_km }}
    and (seconds = 0 or distance_km * 3600 / seconds > {{ min_kmh }})
    and {{ openai_audit_since_condition(since) }}
{%- endmacro %}
