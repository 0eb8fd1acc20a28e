{#- The matches of the ip_allowlist_changed detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('ip_allowlist_changed') }}
