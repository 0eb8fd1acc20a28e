{#- admin_key_unused_90d (medium): a live admin API key created more than 90 days before the
    snapshot, not expired, and last used more than 90 days before it or never. -#}
{{ openai_audit_unused_key_check(
    ref('stg_openai_audit__admin_api_keys'),
    check_id='admin_key_unused_90d',
    severity='medium',
    subject_type='admin_api_key',
    project_id_column=none,
) }}
