{#- The detections' settings: the dbt var `openai_audit_detections`, a map from detection id to
    any of `enabled`, `severity`, `dedup_minutes` and the detection's thresholds and windows.
    The rules read `enabled` and their thresholds here; the severity and dedup overrides apply
    to alerts, and the var's validation (unknown ids, bad values) lives with them. -#}

{#- Every detection with its defaults: enabled, and its thresholds and windows by name. -#}
{% macro openai_audit_detection_defaults() -%}
    {{ return({
        'login_brute_force_success': {'enabled': true, 'min_failures': 5, 'window_minutes': 30},
        'login_failures_burst': {'enabled': true, 'min_failures': 10, 'window_minutes': 60},
        'login_credential_stuffing': {'enabled': true, 'min_ips': 5, 'window_minutes': 30},
        'login_password_spray': {'enabled': true, 'min_login_keys': 5, 'window_minutes': 30},
        'login_impossible_travel': {'enabled': true, 'min_km': 500, 'min_kmh': 1000},
        'login_many_countries': {'enabled': true, 'min_countries': 3, 'window_hours': 24},
        'owner_role_granted': {'enabled': true},
        'rbac_role_assigned': {'enabled': true},
        'admin_api_key_created': {'enabled': true},
        'ip_allowlist_changed': {'enabled': true},
        'scim_changed': {'enabled': true},
        'api_call_logging_changed': {'enabled': true},
        'sso_connection_changed': {'enabled': true},
        'checkpoint_shared_outside': {'enabled': true},
        'credential_sprawl': {'enabled': true, 'min_objects': 10, 'window_minutes': 60},
        'activity_after_user_deleted': {'enabled': true},
        'logging_disabled_then_privileged': {'enabled': true, 'window_hours': 24},
    }) }}
{%- endmacro %}

{#- The detection ids, in the order the union lists them. -#}
{% macro openai_audit_detection_ids() -%}
    {{ return(openai_audit_detection_defaults().keys() | list) }}
{%- endmacro %}

{#- The user's value of setting `name` of `detection_id`, else its default. -#}
{% macro openai_audit_detection_setting(detection_id, name) -%}
    {%- set defaults = openai_audit_detection_defaults() -%}
    {%- if detection_id not in defaults or name not in defaults[detection_id] -%}
        {{ exceptions.raise_compiler_error(
            'openai_audit_detection_setting: no setting ' ~ name ~ ' for ' ~ detection_id
        ) }}
    {%- endif -%}
    {%- set settings = var('openai_audit_detections', {}) or {} -%}
    {%- set own = settings.get(detection_id) if settings is mapping else none -%}
    {%- if own is mapping and own.get(name) is not none -%}
        {{ return(own.get(name)) }}
    {%- endif -%}
    {{ return(defaults[detection_id][name]) }}
{%- endmacro %}

{#- Whether the var leaves `detection_id` enabled (`enabled: false` turns it off). -#}
{% macro openai_audit_detection_enabled(detection_id) -%}
    {%- set value = openai_audit_detection_setting(detection_id, 'enabled') -%}
    {{ return(value not in [false, 'false', 'False', 0]) }}
{%- endmacro %}

{#- Whether the union takes `detection_id`: enabled by the var and, once dbt executes, its
    model present and enabled in the graph (dbt's own `+enabled: false` leaves it out). -#}
{% macro openai_audit_detection_in_union(detection_id) -%}
    {%- if not openai_audit_detection_enabled(detection_id) -%}
        {{ return(false) }}
    {%- endif -%}
    {#- parsing (refs are recorded then) and unit tests (their graph is empty) take the var's
        word alone -#}
    {%- if not execute or not graph.get('nodes') -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set name = 'openai_audit__detection_' ~ detection_id -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == name
            and node.package_name == 'openai_audit' and node.config.enabled -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
