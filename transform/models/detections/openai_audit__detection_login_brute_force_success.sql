{#- The matches of the login_brute_force_success detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('login_brute_force_success') }}
