{#- Where an incremental build of this model starts: the latest `column` it already holds, as a
    literal. Given as a subquery, the bound is unknown when PostgreSQL plans the query, so it
    scans the whole upstream table (seconds at a million rows) instead of its index; as a
    literal it reads only the new rows. In a unit test `this` is a fixture, not a table: there,
    the subquery. -#}
{% macro openai_audit_loaded_since(column='loaded_at') -%}
    {%- if not execute or this is string -%}
        (select coalesce(max({{ column }}), '-infinity'::timestamptz) from {{ this }})
    {%- else -%}
        {%- set query -%}
            select to_char(max({{ column }}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
            from {{ this }}
        {%- endset -%}
        {%- set latest = run_query(query).columns[0].values()[0] -%}
        {%- if latest is none -%}
            '-infinity'::timestamptz
        {%- else -%}
            timestamptz '{{ latest }}'
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of an incremental model: statistics on `column` when the table has none, i.e. just
    after a full build. Without them PostgreSQL guesses that a third of the table is new and
    scans it all (with JIT compilation, seconds at a million rows); with them it reads the new
    rows through the index, and it keeps finding the index's true maximum as rows are added,
    so the hourly build need not pay for ANALYZE again. -#}
{% macro openai_audit_analyze_once(column='loaded_at') -%}
    do $analyze$
    begin
        if not exists (
            select 1 from pg_stats
            where schemaname = '{{ this.schema }}'
                and tablename = '{{ this.identifier }}'
                and attname = '{{ column }}'
        ) then
            execute 'analyze {{ this }}';
        end if;
    end
    $analyze$
{%- endmacro %}
