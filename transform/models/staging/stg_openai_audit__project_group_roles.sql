{{ openai_audit_stage_snapshot('project_group_roles') }}
