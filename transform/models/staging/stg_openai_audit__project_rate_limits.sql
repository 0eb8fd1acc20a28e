{{ openai_audit_stage_snapshot('project_rate_limits') }}
