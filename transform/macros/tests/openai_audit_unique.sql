{#- `unique`, for the key of a table that grows with history: a column (`column_name`, as a
    column test) or several (`columns`, as a model test). When a unique index on exactly these
    columns exists (the incremental models create one), PostgreSQL already refuses every
    duplicate, so the test checks that the index is there and does not read the table again:
    one catalog lookup per build instead of a scan of every event. Without such an index it
    is the plain `unique` test over the columns. -#}
{% test openai_audit_unique(model, column_name=none, columns=none) %}
{%- set key = columns if columns else [column_name] %}

with unique_index as (

    select 1
    from pg_index
    inner join pg_class on pg_class.oid = pg_index.indrelid
    inner join pg_namespace on pg_namespace.oid = pg_class.relnamespace
    where pg_namespace.nspname = '{{ model.schema }}'
        and pg_class.relname = '{{ model.identifier }}'
        and pg_index.indisunique
        and pg_index.indnatts = {{ key | length }}
        and pg_index.indpred is null
        and array(
            select pg_attribute.attname::text
            from pg_attribute
            where pg_attribute.attrelid = pg_class.oid
                and pg_attribute.attnum = any(pg_index.indkey)
        ) @> array[{% for column in key %}'{{ column }}'{{ ', ' if not loop.last }}{% endfor %}]::text[]

)

select
    {% for column in key -%}
    {{ adapter.quote(column) }},
    {% endfor -%}
    count(*) as n_records
from {{ model }}
-- evaluated once, before the scan: with the index there, the table is not read
where not exists (select 1 from unique_index)
    {%- for column in key %}
    and {{ adapter.quote(column) }} is not null
    {%- endfor %}
group by {% for column in key %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1

{% endtest %}
