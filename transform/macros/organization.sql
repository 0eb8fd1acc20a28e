{#- The organizations the package reads: the var `openai_audit_sources`, a list of
    `{schema: ..., organization: ...}` (one extractor per OpenAI organization, each loading into
    its own schema), else the one source schema (models/staging/src_openai_audit.yml) with the
    organization named by the var `openai_audit_organization`, else by the schema. Every model
    carries `organization`, and keys include it. -#}
{% macro openai_audit_sources() -%}
    {%- set declared = source('openai_audit', 'audit_logs').schema -%}
    {%- set configured = var('openai_audit_sources', none) -%}
    {%- if configured is none -%}
        {{ return([{'schema': declared, 'organization': var('openai_audit_organization', declared)}]) }}
    {%- endif -%}
    {%- if configured is string or configured is mapping or configured | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            'openai_audit: the var openai_audit_sources must be a list of {schema, organization}, not '
            ~ configured) }}
    {%- endif -%}
    {%- set sources = [] -%}
    {%- set seen = [] -%}
    {%- for entry in configured -%}
        {%- if entry is not mapping or not entry.get('schema') -%}
            {{ exceptions.raise_compiler_error(
                'openai_audit: each entry of openai_audit_sources needs a schema: ' ~ entry) }}
        {%- endif -%}
        {%- set organization = entry.get('organization') or entry['schema'] -%}
        {%- if organization in seen -%}
            {{ exceptions.raise_compiler_error(
                'openai_audit: the organization ' ~ organization
                ~ ' appears twice in openai_audit_sources') }}
        {%- endif -%}
        {%- do seen.append(organization) -%}
        {%- do sources.append({'schema': entry['schema'], 'organization': organization}) -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}

{#- `organization` as a SQL text literal, for one source. -#}
{% macro openai_audit_organization_literal(organization) -%}
    '{{ organization | replace("'", "''") }}'::text
{%- endmacro %}
