{#- A select of every column of the landed table `table_name`, typed (openai_audit_raw_columns).
    When the table does not exist (a stream the user deselected, or one the organization lacks:
    no groups, roles or certificates, so the tap skipped it) the select has the same columns
    and no rows, so that `dbt build` never fails for a missing table. The table is looked up
    when the model runs: a stream selected later fills the model at the next build. -#}
{% macro openai_audit_select_source(table_name) -%}
    {%- set columns = openai_audit_raw_columns(table_name) -%}
    {%- set declared = source('openai_audit', table_name) -%}
    {%- set found = {} -%}
    {%- if execute -%}
        {#- One catalog query for both questions, whether the table exists and its columns'
            types: dbt's get_relation and get_columns_in_relation take two, one of them on
            information_schema, for each of the 21 models of every build. -#}
        {%- set qualified = declared.include(database=false) | string -%}
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
    {%- endif -%}
    select
    {%- for name, type in columns %}
        {{ openai_audit_cast(name, type, found.get(name)) }} as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- if found %}
    from {{ declared }}
    {%- else %}
    {#- no table: the same columns, no rows -#}
    where false
    {%- endif %}
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
    {%- for name in names %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    _sdc_deleted_at is not null as is_deleted,
    _sdc_deleted_at as deleted_at,
    _sdc_extracted_at
from landed
{%- endmacro %}
