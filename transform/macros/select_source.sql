{#- A select of every column of the landed table `table_name`, typed (openai_audit_raw_columns),
    after the organization it belongs to: one select per source (openai_audit_sources), unioned.
    When the table does not exist (a stream the user deselected, or one the organization lacks:
    no groups, roles or certificates, so the tap skipped it) the select has the same columns
    and no rows, so that `dbt build` never fails for a missing table. The table is looked up
    when the model runs: a stream selected later fills the model at the next build. -#}
{% macro openai_audit_select_source(table_name) -%}
    {%- set columns = openai_audit_raw_columns(table_name) -%}
    {%- set declared = source('openai_audit', table_name) -%}
    {%- for src in openai_audit_sources() %}
    {%- if src.schema == declared.schema -%}
        {%- set relation = declared -%}
    {%- else -%}
        {%- set relation = api.Relation.create(
            database=declared.database, schema=src.schema, identifier=declared.identifier) -%}
    {%- endif -%}
    {%- set found = {} -%}
    {%- if execute -%}
        {#- One catalog query for both questions, whether the table exists and its columns'
            types: dbt's get_relation and get_columns_in_relation take two, one of them on
            information_schema, for each of the 21 models of every build. -#}
        {%- set qualified = relation.include(database=false) | string -%}
        {%- set lookup -%}
            select attname::text, format_type(atttypid, null)
            from pg_catalog.pg_attribute
            where attrelid = to_regclass('{{ qualified | replace("'", "''") }}')
                and attnum > 0
                and not attisdropped
        {%- endset -%}
        {%- for row in run_query(lookup).rows -%}
            {%- do found.update({row[0]: row[1]}) -%}
        {%- endfor -%}
    {%- endif %}
    select
        {{ openai_audit_organization_literal(src.organization) }} as organization,
    {%- for name, type in columns %}
        {{ openai_audit_cast(name, type, found.get(name)) }} as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- if found %}
    from {{ relation }}
    {%- else %}
    {#- no table: the same columns, no rows -#}
    where false
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The staging model of one inventory snapshot: its typed columns, `extra`, whether the row is
    gone from the API (`is_deleted`, from the loader's `_sdc_deleted_at`) and when the snapshot
    that held it was taken (`_sdc_extracted_at`). -#}
{% macro openai_audit_stage_snapshot(table_name) -%}
    {%- set names = [] -%}
    {%- for name, type in openai_audit_raw_columns(table_name) -%}
        {%- if not name.startswith('_sdc_') -%}{%- do names.append(name) -%}{%- endif -%}
    {%- endfor -%}
with landed as (

    {{ openai_audit_select_source(table_name) | indent(4) }}

)

select
    organization,
    {%- for name in names %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    _sdc_deleted_at is not null as is_deleted,
    _sdc_deleted_at as deleted_at,
    _sdc_extracted_at
from landed
{%- endmacro %}
