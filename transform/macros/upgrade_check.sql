{#- Incremental models keep the rows an older release built: after a release that changes how a
    model's rows are made (a new column filled for every row, a changed seed, a type joining a
    rule), the first incremental build would leave old rows as they were, unlike a build from
    scratch. Each such model has a generation here, raised by the release that makes that
    change; the models schema remembers, per model, the generation that last built it from
    scratch (the table openai_audit__model_generations). A build that finds an existing model of
    an older generation stops with one line naming the models to rebuild with --full-refresh.
    A model not in the table was built before the table existed (0.2.0): generation 1.
    Raise a model's number in the same commit that changes its rows, and say so in the
    CHANGELOG. -#}
{% macro openai_audit_model_generations() -%}
    {{ return({
        'stg_openai_audit__events': 2,
        'int_openai_audit__detection_events': 2,
        'int_openai_audit__login_events': 2,
        'openai_audit__ocsf_events': 2,
    }) }}
{%- endmacro %}

{% macro openai_audit_check_upgrade() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set generations = openai_audit_model_generations() -%}
        {%- set nodes = {} -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and node.package_name == 'openai_audit'
                and node.name in generations -%}
            {%- do nodes.update({node.name: node}) -%}
        {%- endfor -%}
        {%- set schema = target.schema -%}
        {%- if nodes -%}
            {%- set schema = (nodes.values() | list)[0].schema -%}
        {%- endif -%}
        {%- set table = adapter.quote(schema) ~ '.openai_audit__model_generations' -%}
        {%- call statement('openai_audit_generations', fetch_result=True) -%}
            create schema if not exists {{ adapter.quote(schema) }};
            create table if not exists {{ table }} (model text primary key, generation integer not null);
            select c.relname::text, g.generation
            from pg_catalog.pg_class as c
            join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            left join {{ table }} as g on g.model = c.relname
            where n.nspname = '{{ schema | replace("'", "''") }}' and c.relkind in ('r', 'p')
        {%- endcall -%}
        {%- set existing = {} -%}
        {%- for row in load_result('openai_audit_generations').table.rows -%}
            {%- do existing.update({row[0]: row[1] or 1}) -%}
        {%- endfor -%}
        {%- set built_now = [] -%}
        {%- set stale = [] -%}
        {%- for name, node in nodes | dictsort if node.unique_id in selected_resources -%}
            {%- if node.alias not in existing or flags.FULL_REFRESH -%}
                {#- built from scratch by this run: it will hold this release's rows -#}
                {%- do built_now.append(name) -%}
            {%- elif existing[node.alias] < generations[name] -%}
                {%- do stale.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if built_now -%}
            {%- call statement('openai_audit_generations_record') -%}
                insert into {{ table }} (model, generation) values
                {%- for name in built_now %}
                    ('{{ nodes[name].alias }}', {{ generations[name] }}){{ ',' if not loop.last }}
                {%- endfor %}
                on conflict (model) do update set generation = excluded.generation
            {%- endcall -%}
        {%- endif -%}
        {%- if stale -%}
            {{ exceptions.raise_compiler_error(
                'openai_audit: the rows of ' ~ stale | join(', ') ~ ' were built by an older release; '
                ~ 'rebuild them once: dbt build --full-refresh --select ' ~ stale | join(' ')
                ~ ' (under Meltano: meltano invoke dbt-postgres build --full-refresh --select '
                ~ stale | join(' ') ~ ').') }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
