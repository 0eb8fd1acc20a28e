{{ openai_audit_stage_snapshot('user_roles') }}
