{#- The matches of the admin_api_key_created detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('admin_api_key_created') }}
