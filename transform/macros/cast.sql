{#- `column` (a column of a landed table, whose database type is `actual`) as `target`, one of
    text, bigint, boolean, timestamptz, jsonb. The loader's types are the expected case; another
    type (a table created by an older tap, where every inventory field was jsonb) is converted
    when its value fits and gives null when it does not, never an error. A column the table
    lacks (`actual` none) is null. -#}
{% macro openai_audit_cast(column, target, actual) -%}
    {%- set col = adapter.quote(column) -%}
    {%- set actual = (actual or '') | lower -%}
    {%- set integral = ('bigint', 'integer', 'smallint') -%}
    {%- set fractional = ('numeric', 'double precision', 'real') -%}
    {%- if actual == '' -%}
        cast(null as {{ target }})
    {%- elif target == 'text' -%}
        {%- if actual == 'jsonb' -%}
            (case when jsonb_typeof({{ col }}) in ('string', 'number', 'boolean') then {{ col }} #>> '{}' end)
        {%- else -%}
            {{ col }}::text
        {%- endif -%}
    {%- elif target == 'timestamptz' -%}
        {%- if actual == 'timestamp without time zone' -%}
            {#- target-postgres writes UTC wall time without a zone: read it as UTC whatever the
                session's TimeZone -#}
            ({{ col }} at time zone 'UTC')
        {%- elif actual == 'timestamp with time zone' -%}
            {{ col }}
        {%- elif actual in integral or actual in fractional -%}
            {{ openai_audit_epoch_to_timestamptz(col ~ '::double precision') }}
        {%- elif actual == 'jsonb' -%}
            (case jsonb_typeof({{ col }})
                when 'number' then {{ openai_audit_epoch_to_timestamptz("(" ~ col ~ " #>> '{}')::double precision") }}
                when 'string' then {{ openai_audit_text_to_timestamptz(col ~ " #>> '{}'") }}
            end)
        {%- else -%}
            {{ openai_audit_text_to_timestamptz(col ~ '::text') }}
        {%- endif -%}
    {%- elif target == 'bigint' -%}
        {%- if actual in integral -%}
            {{ col }}::bigint
        {%- elif actual in fractional -%}
            (case when {{ col }} = trunc({{ col }}) and abs({{ col }}) < 9e18 then {{ col }}::bigint end)
        {%- elif actual == 'jsonb' -%}
            (case when jsonb_typeof({{ col }}) = 'number' and ({{ col }} #>> '{}') ~ '^-?[0-9]{1,18}([.]0*)?$'
                then ({{ col }} #>> '{}')::numeric::bigint end)
        {%- else -%}
            (case when btrim({{ col }}::text) ~ '^-?[0-9]{1,18}$' then btrim({{ col }}::text)::bigint end)
        {%- endif -%}
    {%- elif target == 'boolean' -%}
        {%- if actual == 'boolean' -%}
            {{ col }}
        {%- elif actual == 'jsonb' -%}
            (case when jsonb_typeof({{ col }}) = 'boolean' then ({{ col }} #>> '{}')::boolean end)
        {%- else -%}
            (case lower(btrim({{ col }}::text)) when 'true' then true when 'false' then false end)
        {%- endif -%}
    {%- elif target == 'jsonb' -%}
        {%- if actual in ('jsonb', 'json') -%}
            {#- target-postgres stores a missing or null value as the JSON value null -#}
            nullif({{ col }}::jsonb, 'null'::jsonb)
        {%- else -%}
            to_jsonb({{ col }})
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error('openai_audit_cast: unknown target type ' ~ target) }}
    {%- endif -%}
{%- endmacro %}

{#- Unix seconds as timestamptz; out of PostgreSQL's range gives null. -#}
{% macro openai_audit_epoch_to_timestamptz(seconds) -%}
    (case when {{ seconds }} between -62135596800 and 253402300799 then to_timestamp({{ seconds }}) end)
{%- endmacro %}

{#- An RFC 3339 / ISO 8601 date-time as timestamptz; without an offset it is UTC. Text of another
    shape gives null. -#}
{% macro openai_audit_text_to_timestamptz(text) -%}
    {%- set date_time = '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?' -%}
    (case
        when btrim({{ text }}) ~ '^{{ date_time }}([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then btrim({{ text }})::timestamptz
        when btrim({{ text }}) ~ '^{{ date_time }}$'
            then btrim({{ text }})::timestamp at time zone 'UTC'
    end)
{%- endmacro %}
