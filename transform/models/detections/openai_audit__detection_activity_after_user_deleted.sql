{#- The matches of the activity_after_user_deleted detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('activity_after_user_deleted') }}
