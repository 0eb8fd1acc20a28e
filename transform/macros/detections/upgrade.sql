{#- Whether the incremental model's existing table already has `column`, the newest column its
    SQL writes. A table built by an older release lacks it: the model then selects every event
    again instead of the new loads only, and the merge on `id` rewrites the old rows with what
    this release derives (new columns filled, login keys recomputed), so an upgrade needs no
    `--full-refresh`. In a unit test `this` is a fixture, taken as current. -#}
{% macro openai_audit_table_is_current(column) -%}
    {%- if not execute or this is string -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if relation is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in names) }}
{%- endmacro %}
