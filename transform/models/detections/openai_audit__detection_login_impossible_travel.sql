{{ config(materialized='table') }}
{#- Two consecutive located login.succeeded of one login key (consecutive among the key's
    located logins, in (effective_at, id) order) more than `min_km` apart at more than `min_kmh`.
    Two logins in the same second are infinitely fast. One alert per such pair, completed by its
    second login.

    Coordinates are read from actor.session.ip_address_details with the macro staging uses for
    its latitude and longitude (a JSON number or a numeric string), so that this model's unit
    tests can give both shapes; out of range or (0, 0) is unknown, as in staging. Distances are
    rounded to the metre, so that a pair exactly at the threshold does not fire on
    floating-point noise. -#}
{%- set min_km = var('openai_audit_impossible_travel_min_km') %}
{%- set min_kmh = var('openai_audit_impossible_travel_min_kmh') %}

with logins as (

    select
        id,
        effective_at,
        coalesce(lower(nullif(actor_email, '')), nullif(actor_user_id, '')) as login_key,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'latitude']) }}
            as latitude,
        {{ openai_audit_json_numeric('actor', ['session', 'ip_address_details', 'longitude']) }}
            as longitude
    from {{ ref('stg_openai_audit__events') }}
    where type = 'login.succeeded'

),

located as (

    select
        id,
        effective_at,
        login_key,
        latitude::double precision as latitude,
        longitude::double precision as longitude
    from logins
    where
        login_key is not null
        and latitude between -90 and 90
        and longitude between -180 and 180
        and not (latitude = 0 and longitude = 0)

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
