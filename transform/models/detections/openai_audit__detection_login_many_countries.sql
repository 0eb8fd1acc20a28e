{#- The matches of the login_many_countries detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('login_many_countries') }}
