{#- The matches of the sso_connection_changed detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('sso_connection_changed') }}
