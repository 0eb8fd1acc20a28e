{#- The matches of the login_impossible_travel detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('login_impossible_travel') }}
