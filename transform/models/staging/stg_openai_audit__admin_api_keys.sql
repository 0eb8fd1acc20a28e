{{ openai_audit_stage_snapshot('admin_api_keys') }}
