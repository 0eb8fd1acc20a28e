{#- The matches of the checkpoint_shared_outside detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('checkpoint_shared_outside') }}
