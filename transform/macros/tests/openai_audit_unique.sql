{#- `unique`, for the key of a table that grows with history. When a unique index on exactly
    this column exists (the incremental models create one), PostgreSQL already refuses every
    duplicate, so the test checks that the index is there and does not read the table again:
    one catalog lookup per build instead of a scan of every event. Without such an index it
    is the plain `unique` test. -#}
{% test openai_audit_unique(model, column_name) %}

with unique_index as (

    select 1
    from pg_index
    inner join pg_class on pg_class.oid = pg_index.indrelid
    inner join pg_namespace on pg_namespace.oid = pg_class.relnamespace
    inner join pg_attribute
        on pg_attribute.attrelid = pg_class.oid
        and pg_attribute.attnum = pg_index.indkey[0]
    where pg_namespace.nspname = '{{ model.schema }}'
        and pg_class.relname = '{{ model.identifier }}'
        and pg_index.indisunique
        and pg_index.indnatts = 1
        and pg_index.indpred is null
        and pg_attribute.attname = '{{ column_name }}'

)

select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
-- evaluated once, before the scan: with the index there, the table is not read
where not exists (select 1 from unique_index)
    and {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1

{% endtest %}
