{{ openai_audit_stage_snapshot('project_api_keys') }}
