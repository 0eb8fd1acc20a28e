{{ openai_audit_stage_snapshot('invites') }}
