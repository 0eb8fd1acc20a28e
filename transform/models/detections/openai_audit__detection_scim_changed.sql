{#- The matches of the scim_changed detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('scim_changed') }}
