{#- The organization a landed row belongs to, as a SQL text literal: the var
    `openai_audit_organization` when a project sets it, else the name of the schema the tables
    are read from. Every model carries it, so that one package can hold several organizations. -#}
{% macro openai_audit_organization() -%}
    {%- set name = var('openai_audit_organization', source('openai_audit', 'audit_logs').schema) -%}
    '{{ name | replace("'", "''") }}'::text
{%- endmacro %}
