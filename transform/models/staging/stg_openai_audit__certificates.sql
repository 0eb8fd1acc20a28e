{{ openai_audit_stage_snapshot('certificates') }}
