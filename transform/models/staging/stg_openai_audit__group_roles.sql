{{ openai_audit_stage_snapshot('group_roles') }}
