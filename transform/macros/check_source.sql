{#- Run before every build (dbt_project.yml, on-run-start): a dbt that reads the wrong server,
    database or schema must fail, never pass with empty models. It stops with one line when the
    server is older than PostgreSQL 15 (the package's `merge`) or when a source schema (each of
    openai_audit_sources) lacks audit_logs or audit_log_reads (the tap always lands both); it
    warns once per schema, naming every one, for missing inventory tables (a stream deselected,
    or one the organization lacks), whose
    staging models then build empty (openai_audit_select_source). -#}
{% macro openai_audit_check_source() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'snapshot') -%}
        {%- set where = target.host ~ ':' ~ target.port ~ ', database ' ~ target.dbname -%}
        {%- set version = run_query("select current_setting('server_version_num')::int").columns[0].values()[0] -%}
        {%- if version < 150000 -%}
            {{ exceptions.raise_compiler_error(
                'openai_audit needs PostgreSQL 15 or later; ' ~ where ~ ' runs server_version_num '
                ~ version ~ '.') }}
        {%- endif -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values()
                if node.source_name == 'openai_audit' and node.package_name == 'openai_audit' -%}
            {%- do tables.append(node) -%}
        {%- endfor -%}
        {%- for src in openai_audit_sources() -%}
        {%- set schema = src.schema -%}
        {%- set found_query -%}
            select c.relname::text
            from pg_catalog.pg_class as c
            join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = '{{ schema | replace("'", "''") }}'
                and c.relkind in ('r', 'p', 'v', 'm', 'f')
        {%- endset -%}
        {%- set found = run_query(found_query).columns[0].values() -%}
        {%- set missing_required = [] -%}
        {%- set missing_inventory = [] -%}
        {%- for node in tables | sort(attribute='name') if node.identifier not in found -%}
            {%- if node.name in ('audit_logs', 'audit_log_reads') -%}
                {%- do missing_required.append(node.identifier) -%}
            {%- else -%}
                {%- do missing_inventory.append(node.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing_required -%}
            {{ exceptions.raise_compiler_error(
                'openai_audit: no ' ~ missing_required | join(' or ') ~ ' in schema ' ~ schema
                ~ ' on ' ~ where ~ '; point dbt where the loader writes: TARGET_POSTGRES_HOST, '
                ~ 'TARGET_POSTGRES_DATABASE and TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA (or '
                ~ 'DBT_POSTGRES_HOST, DBT_POSTGRES_DBNAME, DBT_POSTGRES_SOURCE_SCHEMA, the vars '
                ~ 'openai_audit_schema, openai_audit_sources); see docs/connection.md.') }}
        {%- endif -%}
        {%- if missing_inventory -%}
            {%- do exceptions.warn(
                'openai_audit: no ' ~ missing_inventory | join(', ') ~ ' in schema ' ~ schema
                ~ ' on ' ~ where ~ ': their staging models build empty (a stream not selected, '
                ~ 'or one the organization lacks).') -%}
        {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
