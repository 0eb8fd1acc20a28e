{#- Reading values out of JSON of any shape. The API may send any JSON where the reference shows an
    object (a string, a list, null, a number): PostgreSQL's `#>` and `#>>` already give null on a
    path that does not exist in the value, and these helpers also check the type of what they
    find, so a staging model never fails on an event and never mistakes an object for a string. -#}

{#- `expr` at `path` (a list of keys), as text: strings as they are, numbers as written; any
    other JSON type, or nothing there, gives null. -#}
{% macro openai_audit_json_text(expr, path) -%}
    {%- set p = "'{" ~ path | join(',') ~ "}'" -%}
    (case when jsonb_typeof({{ expr }} #> {{ p }}) in ('string', 'number') then {{ expr }} #>> {{ p }} end)
{%- endmacro %}

{#- `expr` at `path` as jsonb, or null when absent or JSON null. -#}
{% macro openai_audit_json_value(expr, path) -%}
    nullif({{ expr }} #> '{{ "{" ~ path | join(",") ~ "}" }}', 'null'::jsonb)
{%- endmacro %}

{#- `expr` at `path` when it is a JSON object, else null. -#}
{% macro openai_audit_json_object(expr, path) -%}
    {%- set p = "'{" ~ path | join(',') ~ "}'" -%}
    (case when jsonb_typeof({{ expr }} #> {{ p }}) = 'object' then {{ expr }} #> {{ p }} end)
{%- endmacro %}

{#- `expr` at `path` as numeric: a JSON number, or a string holding a decimal number (the
    reference shows coordinates as strings, the API has sent numbers); anything else is null. -#}
{% macro openai_audit_json_numeric(expr, path) -%}
    {%- set p = "'{" ~ path | join(',') ~ "}'" -%}
    (case
        when jsonb_typeof({{ expr }} #> {{ p }}) = 'number'
            then ({{ expr }} #>> {{ p }})::numeric
        when jsonb_typeof({{ expr }} #> {{ p }}) = 'string'
            and btrim({{ expr }} #>> {{ p }}) ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})?$'
            then btrim({{ expr }} #>> {{ p }})::numeric
    end)
{%- endmacro %}
