{{ openai_audit_stage_snapshot('project_users') }}
