{{ config(materialized='table') }}
{#- Interim: one row per match of int_openai_audit__alert_matches, until alerts group them. -#}

select
    md5(detection_id || ':' || match_id) as alert_id,
    detection_id,
    severity,
    match_at as detected_at,
    subject as actor,
    event_ids,
    detail as summary
from {{ ref('int_openai_audit__alert_matches') }}
