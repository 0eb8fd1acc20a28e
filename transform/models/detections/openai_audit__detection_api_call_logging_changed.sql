{#- The matches of the api_call_logging_changed detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('api_call_logging_changed') }}
