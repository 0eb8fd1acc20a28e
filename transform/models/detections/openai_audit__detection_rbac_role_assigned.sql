{#- The matches of the rbac_role_assigned detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('rbac_role_assigned') }}
