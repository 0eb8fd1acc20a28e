{#- The matches of the logging_disabled_then_privileged detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('logging_disabled_then_privileged') }}
