{{ config(materialized='table') }}
{#- Two consecutive located login.succeeded of one login key (consecutive among the key's
    located logins, in (effective_at, id) order) more than `min_km` apart at more than `min_kmh`.
    Two logins in the same second are infinitely fast. One alert per such pair, completed by its
    second login. Distances are rounded to the metre, so that a pair exactly at the threshold
    does not fire on floating-point noise. -#}
{%- set min_km = var('openai_audit_impossible_travel_min_km') %}
{%- set min_kmh = var('openai_audit_impossible_travel_min_kmh') %}

with located as (

    -- int_openai_audit__login_events leaves the coordinates of an unknown location null
    select
        id,
        effective_at,
        login_key,
        latitude,
        longitude
    from {{ ref('int_openai_audit__login_events') }}
    where
        type = 'login.succeeded'
        and login_key is not null
        and latitude is not null
        and longitude is not null

),

-- a key that always logs in from the same place cannot travel: it is left out before the sort
-- below (hash aggregates only, so an hourly build does not sort all of history)
travelling_keys as (

    select login_key
    from (
        select login_key, latitude, longitude
        from located
        group by login_key, latitude, longitude
    ) as places
    group by login_key
    having count(*) > 1

),

pairs as (

    select
        id,
        effective_at,
        login_key,
        latitude,
        longitude,
        lag(id) over by_key as previous_id,
        lag(effective_at) over by_key as previous_at,
        lag(latitude) over by_key as previous_latitude,
        lag(longitude) over by_key as previous_longitude
    from located
    where login_key in (select login_key from travelling_keys)
    window by_key as (partition by login_key order by effective_at, id)

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
    md5('login_impossible_travel:' || id) as alert_id,
    'login_impossible_travel'::text as detection_id,
    'high'::text as severity,
    effective_at as detected_at,
    login_key as actor,
    array[previous_id, id]::text[] as event_ids,
    format(
        'Logins of %s %s km apart in %s seconds',
        login_key, round(distance_km, 1), round(seconds)
    ) as summary
from measured
where
    distance_km > {{ min_km }}
    and (seconds = 0 or distance_km * 3600 / seconds > {{ min_kmh }})
