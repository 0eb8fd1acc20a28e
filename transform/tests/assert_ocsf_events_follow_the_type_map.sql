{#- Every OCSF record has the class and activity its type has in the seed, or API Activity 99
    when the seed lacks the type; the numbers in the columns are those in the record; the
    metadata names the version, the event and its type. Returns the records that do not. One
    pass over the table checks what per-column tests would check in several. -#}
select
    ocsf_events.id,
    ocsf_events.type,
    ocsf_events.class_uid,
    ocsf_events.activity_id
from {{ ref('openai_audit__ocsf_events') }} as ocsf_events
left join {{ ref('openai_audit_ocsf_type_map') }} as type_map
    on type_map.type = ocsf_events.type
where ocsf_events.class_uid is distinct from coalesce(type_map.class_uid, 6003)
    or ocsf_events.activity_id is distinct from coalesce(type_map.activity_id, 99)
    or ocsf_events.category_uid is distinct from ocsf_events.class_uid / 1000
    or ocsf_events.type_uid is distinct from ocsf_events.class_uid * 100 + ocsf_events.activity_id
    or ocsf_events.ocsf is null
    or (ocsf_events.ocsf ->> 'class_uid')::integer is distinct from ocsf_events.class_uid
    or (ocsf_events.ocsf ->> 'activity_id')::integer is distinct from ocsf_events.activity_id
    or (ocsf_events.ocsf ->> 'type_uid')::integer is distinct from ocsf_events.type_uid
    or (ocsf_events.ocsf ->> 'time')::bigint is distinct from ocsf_events.time
    or ocsf_events.ocsf #>> '{metadata,version}' is distinct from '1.8.0'
    or ocsf_events.ocsf #>> '{metadata,uid}' is distinct from ocsf_events.id
    or ocsf_events.ocsf #>> '{metadata,event_code}' is distinct from ocsf_events.type
