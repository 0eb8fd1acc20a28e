{#- The config of a model built incrementally on load time (staging's events and what is derived
    from them one row per event): merged on `key` (default `id`; staging's events:
    `organization`, `id`) with the strategy the `openai_audit_incremental_strategy` var names,
    new columns appended, statistics taken once after a full build
    (openai_audit_analyze_once), and indexed on `key` (unique) and `loaded_at`,
    which openai_audit_loaded_since reads. `indexes`: the model's own indexes, after those two. -#}
{% macro openai_audit_incremental_config(indexes=[], key=['id']) -%}
    {{ config(
        materialized='incremental',
        unique_key=key,
        incremental_strategy=var('openai_audit_incremental_strategy'),
        on_schema_change='append_new_columns',
        post_hook="{{ openai_audit_analyze_once() }}",
        indexes=[
            {'columns': key, 'unique': True},
            {'columns': ['loaded_at']},
        ] + indexes,
    ) }}
{%- endmacro %}
