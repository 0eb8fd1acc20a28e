{#- The matches of the credential_sprawl detection, one row per match (its rule:
    macros/detections/, openai_audit_detection_sql). -#}
{{ openai_audit_detection_model('credential_sprawl') }}
