{#- project_key_unused_90d (low): the same for a live project API key. -#}
{{ openai_audit_unused_key_check(
    ref('stg_openai_audit__project_api_keys'),
    check_id='project_key_unused_90d',
    severity='low',
    subject_type='project_api_key',
    project_id_column='project_id',
) }}
