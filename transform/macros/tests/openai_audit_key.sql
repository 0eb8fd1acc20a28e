{#- The primary key of a table, in one pass: no row with a null in any key column, and no two
    rows with the same key. For the inventory snapshots, whose keys are composite; one test per
    table instead of a `unique` and a `not_null` per column keeps a build's node count, and so
    the fixed part of every hourly build, down. Returns the offending keys. -#}
{% test openai_audit_key(model, columns) %}

select
    {% for column in columns -%}
    {{ adapter.quote(column) }},
    {% endfor -%}
    count(*) as n_records
from {{ model }}
group by {% for column in columns %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
    {%- for column in columns %}
    or {{ adapter.quote(column) }} is null
    {%- endfor %}

{% endtest %}
