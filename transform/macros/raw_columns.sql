{#- The columns each landed table has (docs/sql.md, and the tap's schemas: the inventory tables are
    its endpoint table, FIELDS, which tests/transform/test_project.py checks), with the type staging
    gives them. A table the loader created from an older schema may hold another type, or lack a
    column: openai_audit_select_source converts what is there and fills the rest with nulls. -#}

{% macro openai_audit_loader_columns() %}
    {{ return([
        ['_sdc_extracted_at', 'timestamptz'],
        ['_sdc_received_at', 'timestamptz'],
        ['_sdc_batched_at', 'timestamptz'],
        ['_sdc_deleted_at', 'timestamptz'],
    ]) }}
{% endmacro %}

{% macro openai_audit_raw_columns(table_name) %}
    {%- set role_assignment = [
        ['name', 'text'], ['description', 'text'], ['permissions', 'jsonb'],
        ['resource_type', 'text'], ['predefined_role', 'boolean'],
        ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'], ['created_by', 'text'],
        ['created_by_user_obj', 'jsonb'], ['metadata', 'jsonb'], ['assignment_sources', 'jsonb'],
    ] -%}
    {%- set role = [
        ['object', 'text'], ['name', 'text'], ['description', 'text'], ['permissions', 'jsonb'],
        ['resource_type', 'text'], ['predefined_role', 'boolean'],
    ] -%}
    {%- set certificate = [
        ['object', 'text'], ['name', 'text'], ['created_at', 'timestamptz'],
        ['certificate_details', 'jsonb'], ['active', 'boolean'],
    ] -%}
    {%- set tables = {
        'audit_logs': [
            ['id', 'text'], ['type', 'text'], ['effective_at', 'timestamptz'], ['scope', 'text'],
            ['actor', 'jsonb'], ['project', 'jsonb'], ['payload', 'jsonb'], ['extra', 'jsonb'],
        ],
        'audit_log_reads': [
            ['run_id', 'text'], ['scope', 'text'], ['window_start', 'timestamptz'],
            ['window_end', 'timestamptz'], ['events', 'bigint'], ['ids_sha256', 'text'],
            ['pages', 'bigint'], ['filtered', 'boolean'], ['read_at', 'timestamptz'],
        ],
        'users': [
            ['id', 'text'], ['object', 'text'], ['name', 'text'], ['email', 'text'],
            ['role', 'text'], ['added_at', 'timestamptz'], ['created', 'timestamptz'],
            ['is_default', 'boolean'], ['is_service_account', 'boolean'],
            ['is_scim_managed', 'boolean'], ['is_scale_tier_authorized_purchaser', 'boolean'],
            ['api_key_last_used_at', 'timestamptz'], ['technical_level', 'text'],
            ['developer_persona', 'text'], ['user', 'jsonb'], ['projects', 'jsonb'],
        ],
        'invites': [
            ['id', 'text'], ['object', 'text'], ['email', 'text'], ['role', 'text'],
            ['status', 'text'], ['created_at', 'timestamptz'], ['expires_at', 'timestamptz'],
            ['accepted_at', 'timestamptz'], ['projects', 'jsonb'],
        ],
        'projects': [
            ['id', 'text'], ['object', 'text'], ['name', 'text'], ['created_at', 'timestamptz'],
            ['archived_at', 'timestamptz'], ['status', 'text'], ['external_key_id', 'text'],
            ['residency', 'text'],
        ],
        'project_users': [
            ['project_id', 'text'], ['id', 'text'], ['object', 'text'], ['name', 'text'],
            ['email', 'text'], ['role', 'text'], ['added_at', 'timestamptz'],
        ],
        'project_service_accounts': [
            ['project_id', 'text'], ['id', 'text'], ['object', 'text'], ['name', 'text'],
            ['role', 'text'], ['created_at', 'timestamptz'],
        ],
        'project_api_keys': [
            ['project_id', 'text'], ['id', 'text'], ['object', 'text'], ['name', 'text'],
            ['redacted_value', 'text'], ['created_at', 'timestamptz'],
            ['last_used_at', 'timestamptz'], ['owner_project_access', 'text'],
            ['owner', 'jsonb'], ['expires_at', 'timestamptz'],
        ],
        'admin_api_keys': [
            ['id', 'text'], ['object', 'text'], ['name', 'text'], ['redacted_value', 'text'],
            ['created_at', 'timestamptz'], ['expires_at', 'timestamptz'],
            ['last_used_at', 'timestamptz'], ['owner', 'jsonb'],
        ],
        'certificates': [['id', 'text']] + certificate,
        'project_certificates': [['project_id', 'text'], ['id', 'text']] + certificate,
        'project_rate_limits': [
            ['project_id', 'text'], ['id', 'text'], ['object', 'text'], ['model', 'text'],
            ['max_requests_per_1_minute', 'bigint'], ['max_tokens_per_1_minute', 'bigint'],
            ['max_images_per_1_minute', 'bigint'], ['max_audio_megabytes_per_1_minute', 'bigint'],
            ['max_requests_per_1_day', 'bigint'], ['batch_1_day_max_input_tokens', 'bigint'],
        ],
        'groups': [
            ['id', 'text'], ['object', 'text'], ['name', 'text'], ['created_at', 'timestamptz'],
            ['is_scim_managed', 'boolean'], ['group_type', 'text'],
        ],
        'group_users': [['group_id', 'text'], ['id', 'text'], ['name', 'text'], ['email', 'text']],
        'group_roles': [['group_id', 'text'], ['id', 'text']] + role_assignment,
        'roles': [['id', 'text']] + role,
        'user_roles': [['user_id', 'text'], ['id', 'text']] + role_assignment,
        'project_groups': [
            ['project_id', 'text'], ['group_id', 'text'], ['object', 'text'],
            ['group_name', 'text'], ['group_type', 'text'], ['created_at', 'timestamptz'],
        ],
        'project_roles': [['project_id', 'text'], ['id', 'text']] + role,
        'project_user_roles': [['project_id', 'text'], ['user_id', 'text'], ['id', 'text']] + role_assignment,
        'project_group_roles': [['project_id', 'text'], ['group_id', 'text'], ['id', 'text']] + role_assignment,
    } -%}
    {%- if table_name not in tables -%}
        {{ exceptions.raise_compiler_error('openai_audit: no columns known for table ' ~ table_name) }}
    {%- endif -%}
    {%- set columns = tables[table_name] -%}
    {%- if table_name not in ('audit_logs', 'audit_log_reads') -%}
        {%- set columns = columns + [['extra', 'jsonb']] -%}
    {%- endif -%}
    {{ return(columns + openai_audit_loader_columns()) }}
{% endmacro %}
