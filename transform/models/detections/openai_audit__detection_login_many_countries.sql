{{ config(materialized='table') }}
{#- login.succeeded of one login key from at least `min_countries` distinct countries within the
    window. Events without a country are ignored; countries are compared trimmed and
    upper-cased (int_openai_audit__login_events). One alert per burst of the key's logins with a
    country (no gap longer than the window), detected at the login that first brings a window to
    the threshold (openai_audit_distinct_in_window_detection). A key that never logged in from
    that many countries is left out before the sorts, with hash aggregates only, so an hourly
    build does not sort all of history (the window, a day, lets most keys pass the other
    prefilter). -#}
{%- set min_countries = var('openai_audit_many_countries_min_countries') | int %}
{%- set window_hours = var('openai_audit_many_countries_window_hours') | int %}

{% call openai_audit_distinct_in_window_detection(
    detection_id='login_many_countries',
    severity='high',
    min_distinct=min_countries,
    window_length=window_hours,
    window_unit='hours',
    summary='%s successful logins for %s from %s countries, at least %s within %s hours',
    prefilter='distinct_values',
) %}
    select
        id,
        effective_at,
        login_key as burst_key,
        country as value
    from {{ ref('int_openai_audit__login_events') }}
    where type = 'login.succeeded'
{% endcall %}
