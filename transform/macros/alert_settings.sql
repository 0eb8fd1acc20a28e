{#- How users tune alerts without editing the package: the vars `openai_audit_detections`
    (severity and dedup period per detection; `enabled` and the thresholds are read by the rules,
    macros/detection_settings.sql), `openai_audit_suppressions` and
    `openai_audit_suppressions_relation` (docs/transform.md, "Tuning alerts").

    A bad value fails the build at parse time, before any model runs, with one line naming the
    var and the value: a typo must never silently leave a detection untuned or an alert open. -#}

{% macro openai_audit_severities() -%}
    {{ return(['info', 'low', 'medium', 'high', 'critical']) }}
{%- endmacro %}

{#- The fields a suppression rule may give, besides its `reason`. -#}
{% macro openai_audit_suppression_fields() -%}
    {{ return(['detection_id', 'subject', 'actor', 'ip', 'project_id', 'until']) }}
{%- endmacro %}

{#- The detection that groups per episode, with no dedup period. -#}
{% macro openai_audit_detections_without_period() -%}
    {{ return(['activity_after_user_deleted']) }}
{%- endmacro %}

{% macro openai_audit_settings_error(var_name, message) -%}
    {{ exceptions.raise_compiler_error(
        'Bad dbt var ' ~ var_name ~ ': ' ~ (message | replace('\n', ' '))
    ) }}
{%- endmacro %}

{#- Every tuning var, checked. Called from the alert models unguarded by `execute`, so that a
    bad value stops the parse and no model is built. -#}
{% macro openai_audit_validate_settings() -%}
    {%- do openai_audit_validate_detections() -%}
    {%- do openai_audit_validate_suppressions() -%}
    {%- set relation = var('openai_audit_suppressions_relation', none) -%}
    {%- if relation is not none and relation != '' -%}
        {%- if relation is not string
            or not modules.re.match('^[A-Za-z_][A-Za-z0-9_$]*[.][A-Za-z_][A-Za-z0-9_$]*$', relation) -%}
            {%- do openai_audit_settings_error(
                'openai_audit_suppressions_relation',
                relation ~ ' is not schema.table') -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro openai_audit_validate_detections() -%}
    {%- set name = 'openai_audit_detections' -%}
    {%- set settings = var(name, {}) -%}
    {%- if settings is none -%}{{ return(none) }}{%- endif -%}
    {%- if settings is not mapping -%}
        {%- do openai_audit_settings_error(name, settings ~ ' is not a map of detection ids') -%}
    {%- endif -%}
    {%- set defaults = openai_audit_detection_defaults() -%}
    {%- for detection_id, own in settings.items() -%}
        {%- if detection_id not in defaults -%}
            {%- do openai_audit_settings_error(
                name, "'" ~ detection_id ~ "' is no detection id (known: "
                ~ (defaults.keys() | list | join(', ')) ~ ')') -%}
        {%- endif -%}
        {%- if own is not none and own is not mapping -%}
            {%- do openai_audit_settings_error(
                name, detection_id ~ ': ' ~ own ~ ' is not a map of settings') -%}
        {%- endif -%}
        {%- set known = (defaults[detection_id].keys() | list) + ['severity', 'dedup_minutes'] -%}
        {%- for key, value in (own or {}).items() -%}
            {%- set where = detection_id ~ '.' ~ key -%}
            {%- if key not in known -%}
                {%- do openai_audit_settings_error(
                    name, "'" ~ where ~ "' is no setting (" ~ detection_id ~ ' has: '
                    ~ (known | join(', ')) ~ ')') -%}
            {%- elif value is none -%}
            {%- elif key == 'severity' -%}
                {%- if value not in openai_audit_severities() -%}
                    {%- do openai_audit_settings_error(
                        name, where ~ ": '" ~ value ~ "' is no severity (one of "
                        ~ (openai_audit_severities() | join(', ')) ~ ')') -%}
                {%- endif -%}
            {%- elif key == 'enabled' -%}
                {%- if value not in [true, false] -%}
                    {%- do openai_audit_settings_error(
                        name, where ~ ": '" ~ value ~ "' is not true or false") -%}
                {%- endif -%}
            {%- elif key == 'dedup_minutes' and detection_id in openai_audit_detections_without_period() -%}
                {%- do openai_audit_settings_error(
                    name, where ~ ': ' ~ detection_id
                    ~ ' has no dedup period (one alert per deletion)') -%}
            {%- elif value is boolean or value is not number or value <= 0 -%}
                {%- do openai_audit_settings_error(
                    name, where ~ ": '" ~ value ~ "' is not a positive number") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}

{#- A `until` value as text PostgreSQL reads as a timestamptz, or none when it is not one. YAML
    may already have read it as a date or date-time. -#}
{% macro openai_audit_until_text(value) -%}
    {%- set text = value | string -%}
    {%- if modules.re.match(
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$',
        text) -%}
        {{ return(text) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro openai_audit_validate_suppressions() -%}
    {%- set name = 'openai_audit_suppressions' -%}
    {%- set rules = var(name, []) -%}
    {%- if rules is none -%}{{ return(none) }}{%- endif -%}
    {%- if rules is string or rules is mapping or rules is not iterable -%}
        {%- do openai_audit_settings_error(name, rules ~ ' is not a list of rules') -%}
    {%- endif -%}
    {%- set fields = openai_audit_suppression_fields() -%}
    {%- set detection_ids = openai_audit_detection_defaults().keys() | list -%}
    {%- for rule in rules -%}
        {%- set where = 'rule ' ~ loop.index -%}
        {%- if rule is not mapping -%}
            {%- do openai_audit_settings_error(name, where ~ ': ' ~ rule ~ ' is not a map') -%}
        {%- endif -%}
        {%- set reason = rule.get('reason') -%}
        {%- if reason is none or reason is not string or reason | trim == '' -%}
            {%- do openai_audit_settings_error(
                name, where ~ ' ' ~ openai_audit_rule_text(rule) ~ ' has no reason') -%}
        {%- endif -%}
        {%- for key, value in rule.items() -%}
            {%- if key != 'reason' and key not in fields -%}
                {%- do openai_audit_settings_error(
                    name, where ~ ": '" ~ key ~ "' is no field (fields: reason, "
                    ~ (fields | join(', ')) ~ ')') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set detection_id = rule.get('detection_id') -%}
        {%- if detection_id is not none and detection_id != '*'
            and detection_id not in detection_ids -%}
            {%- do openai_audit_settings_error(
                name, where ~ ": detection_id '" ~ detection_id ~ "' is no detection id") -%}
        {%- endif -%}
        {%- if rule.get('until') is not none
            and openai_audit_until_text(rule.get('until')) is none -%}
            {%- do openai_audit_settings_error(
                name, where ~ ": until '" ~ rule.get('until') ~ "' is not a date-time") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- A rule as one short line for an error message: its fields, without the reason. -#}
{% macro openai_audit_rule_text(rule) -%}
    {%- set parts = [] -%}
    {%- for key, value in rule.items() if key != 'reason' -%}
        {%- do parts.append(key ~ '=' ~ value) -%}
    {%- endfor -%}
    {{ return('(' ~ (parts | join(', ')) ~ ')') }}
{%- endmacro %}

{#- The severity override of each detection, as a SQL expression over `detection_id` giving the
    user's severity or null. -#}
{% macro openai_audit_severity_override(detection_id_column) -%}
    {%- set settings = var('openai_audit_detections', {}) or {} -%}
    {%- set overrides = [] -%}
    {%- for detection_id, own in settings.items() -%}
        {%- if own is mapping and own.get('severity') is not none -%}
            {%- do overrides.append((detection_id, own.get('severity'))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if overrides -%}
    (case {{ detection_id_column }}
        {%- for detection_id, severity in overrides %}
        when '{{ detection_id }}' then '{{ severity }}'
        {%- endfor %}
    end)::text
    {%- else -%}
    null::text
    {%- endif -%}
{%- endmacro %}

{#- The dedup period of each detection, as a SQL interval expression over `detection_id`: the
    user's `dedup_minutes`, else the catalog's; null (no period) for a detection without one. -#}
{% macro openai_audit_dedup_period(detection_id_column, catalog_minutes_column) -%}
    {%- set settings = var('openai_audit_detections', {}) or {} -%}
    {%- set overrides = [] -%}
    {%- for detection_id, own in settings.items() -%}
        {%- if own is mapping and own.get('dedup_minutes') is not none -%}
            {%- do overrides.append((detection_id, own.get('dedup_minutes'))) -%}
        {%- endif -%}
    {%- endfor -%}
    (case
        when {{ detection_id_column }} in ('{{ openai_audit_detections_without_period() | join("', '") }}')
            then null
        {%- for detection_id, minutes in overrides %}
        when {{ detection_id_column }} = '{{ detection_id }}'
            then make_interval(secs => {{ minutes }} * 60)
        {%- endfor %}
        else make_interval(secs => {{ catalog_minutes_column }} * 60)
    end)
{%- endmacro %}

{#- The detection ids the union takes at this build (the var's `enabled`, dbt's `+enabled`), as
    a SQL list literal for `in (...)`. -#}
{% macro openai_audit_enabled_detections_sql() -%}
    {%- set ids = [] -%}
    {#- a unit test has no graph: there, the var alone decides -#}
    {%- set has_graph = graph is mapping and graph.get('nodes') is not none -%}
    {%- for detection_id in openai_audit_detection_ids() -%}
        {%- if (has_graph and openai_audit_detection_in_union(detection_id))
            or (not has_graph and openai_audit_detection_enabled(detection_id)) -%}
            {%- do ids.append(detection_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ids -%}
    ('{{ ids | join("', '") }}')
    {%- else -%}
    (null::text)
    {%- endif -%}
{%- endmacro %}

{#- The suppression rules, as a query with the columns `rule_order`, `reason`, `detection_id`,
    `subject`, `actor`, `ip`, `project_id` and `until` (timestamptz): the var's rules first, in
    their order, then the rows of the relation the `openai_audit_suppressions_relation` var
    names (its missing field columns read as null). A relation row without a reason fails the
    build, as a var rule without one does. -#}
{% macro openai_audit_suppression_rules() -%}
    {%- set rules = var('openai_audit_suppressions', []) or [] -%}
    {%- set fields = ['detection_id', 'subject', 'actor', 'ip', 'project_id'] -%}
    select
        null::integer as rule_order,
        null::text as reason,
        null::text as detection_id,
        null::text as subject,
        null::text as actor,
        null::text as ip,
        null::text as project_id,
        null::timestamptz as until
    where false
    {%- for rule in rules %}
    union all
    select
        {{ loop.index }},
        {{ openai_audit_sql_text(rule.get('reason')) }},
        {%- for field in fields %}
        {{ openai_audit_sql_text(rule.get(field)) }},
        {%- endfor %}
        {%- set until = rule.get('until') %}
        {% if until is none %}null::timestamptz{% else %}'{{ openai_audit_until_text(until) }}'::timestamptz{% endif %}
    {%- endfor %}
    {%- set relation_name = var('openai_audit_suppressions_relation', none) -%}
    {%- if relation_name and execute %}
        {%- set parts = relation_name.split('.') -%}
        {%- set relation = adapter.get_relation(database=target.database, schema=parts[0], identifier=parts[1]) -%}
        {%- if relation is none -%}
            {%- do openai_audit_settings_error(
                'openai_audit_suppressions_relation', relation_name ~ ' does not exist') -%}
        {%- endif -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'reason' not in columns -%}
            {%- do openai_audit_settings_error(
                'openai_audit_suppressions_relation', relation_name ~ ' has no column reason') -%}
        {%- endif -%}
        {%- set missing_reason -%}
            select count(*) from {{ relation }} where nullif(btrim(reason::text), '') is null
        {%- endset -%}
        {%- set without = run_query(missing_reason).columns[0].values()[0] -%}
        {%- if without > 0 -%}
            {%- do openai_audit_settings_error(
                'openai_audit_suppressions_relation',
                relation_name ~ ' has ' ~ without ~ ' rule(s) without a reason') -%}
        {%- endif %}
    union all
    select
        {{ rules | length }} + (row_number() over ())::integer,
        reason::text,
        {%- for field in fields %}
        {% if field in columns %}nullif(btrim({{ adapter.quote(field) }}::text), ''){% else %}null::text{% endif %},
        {%- endfor %}
        {% if 'until' in columns %}until::timestamptz{% else %}null::timestamptz{% endif %}
    from {{ relation }}
    {%- endif %}
{%- endmacro %}

{#- `value` as a SQL text literal, or null. -#}
{% macro openai_audit_sql_text(value) -%}
    {%- if value is none -%}null::text{%- else -%}'{{ (value | string) | replace("'", "''") }}'::text{%- endif -%}
{%- endmacro %}

{#- A span of time for a person to read: "under a minute", "12 minutes", "3 hours 5 minutes",
    "2 days 4 hours". -#}
{% macro openai_audit_humane_span(start_at, end_at) -%}
    {%- set seconds = 'extract(epoch from (' ~ end_at ~ ') - (' ~ start_at ~ '))' -%}
    (case
        when {{ seconds }} < 60 then 'under a minute'
        when {{ seconds }} < 3600
            then {{ openai_audit_count_of('floor(' ~ seconds ~ ' / 60)', 'minute') }}
        when {{ seconds }} < 86400
            then {{ openai_audit_count_of('floor(' ~ seconds ~ ' / 3600)', 'hour') }} || ' '
                || {{ openai_audit_count_of('floor(mod(' ~ seconds ~ ', 3600) / 60)', 'minute') }}
        else {{ openai_audit_count_of('floor(' ~ seconds ~ ' / 86400)', 'day') }} || ' '
            || {{ openai_audit_count_of('floor(mod(' ~ seconds ~ ', 86400) / 3600)', 'hour') }}
    end)
{%- endmacro %}

{#- "1 hour", "3 hours": a whole number and a noun. -#}
{% macro openai_audit_count_of(number, noun) -%}
    (({{ number }})::bigint || ' {{ noun }}' || case when ({{ number }})::bigint = 1 then '' else 's' end)
{%- endmacro %}

{#- An alert's summary, one sentence from its matches' own sentences (`first_detail`, each
    saying who did what, and how many), their number (`match_count`) and the alert's events
    (`event_count`, `first_event_at`, `last_event_at`): how many, over how long. -#}
{% macro openai_audit_alert_summary() -%}
    (case
        when match_count = 1 and event_count <= 1 then rtrim(coalesce(first_detail, title), '.') || '.'
        else rtrim(coalesce(first_detail, title), '.')
            || case
                when match_count = 1 then ' ('
                else ' (' || match_count || ' matches, '
            end
            || event_count || ' events over '
            || {{ openai_audit_humane_span('first_event_at', 'last_event_at') }}
            || ', the last at ' || to_char(last_event_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
            || ' UTC).'
    end)
{%- endmacro %}

{#- Pre-hook of openai_audit__alerts: a table an older release built gets this release's
    columns, typed, before dbt compares the schemas. dbt-postgres cannot add an
    array column itself (it writes the type as `ARRAY`), so without this the first build after
    the upgrade would fail; the post-hook then drops the old rows, whose ids were not grouped. -#}
{% macro openai_audit_alerts_upgrade() -%}
    {%- if execute and this is not string and not flags.FULL_REFRESH -%}
        {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
        {%- if relation is not none -%}
            {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- set columns = [
                    ('organization', 'text'), ('title', 'text'), ('status', 'text'),
                    ('suppression_reason', 'text'), ('subject_type', 'text'), ('subject', 'text'),
                    ('last_event_at', 'timestamptz'), ('first_seen_at', 'timestamptz'),
                    ('updated_at', 'timestamptz'), ('event_count', 'bigint'),
                    ('actor_user_id', 'text'), ('actor_email', 'text'),
                    ('actor_api_key_id', 'text'), ('actor_service_account_id', 'text'),
                    ('src_ips', 'text[]'), ('countries', 'text[]'), ('user_agents', 'text[]'),
                    ('project_ids', 'text[]'), ('object_ids', 'text[]'),
                    ('mitre_attack', 'text[]'), ('next_steps', 'text'),
                    ('match_count', 'bigint'), ('listed_event_count', 'bigint'),
                ] -%}
            {%- set missing = [] -%}
            {%- for name, type in columns if name not in names -%}
                {%- do missing.append((name, type)) -%}
            {%- endfor -%}
            {%- if missing %}
                alter table {{ this }}
                {%- for name, type in missing %}
                    add column {{ name }} {{ type }}{{ ',' if not loop.last }}
                {%- endfor %}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
