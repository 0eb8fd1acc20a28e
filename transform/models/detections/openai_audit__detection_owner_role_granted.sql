{#- The matches of the owner_role_granted detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('owner_role_granted') }}
