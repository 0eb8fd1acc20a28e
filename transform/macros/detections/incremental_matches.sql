{#- An incremental build of int_openai_audit__alert_matches recomputes only what new events can
    change, and gives exactly the rows a build from scratch gives.

    Why a bounded recomputation is exact: every rule of openai_audit_matches_bounded_ids decides
    whether the event at time t matches from its organization's events at or before t alone
    (a window ending at t, the key's located login before t, the user's latest change before
    t). So an event at time T can change, add or remove only matches at T or later, and the
    matches of an organization before the earliest time T0 of its newly loaded events stay
    as they are. The build deletes that organization's matches at or after T0 (the pre-hook)
    and computes them again (the model) from the events a rule reads for them: those from T0
    minus the rule's window on, and, for impossible travel, each key's latest located login
    before T0. This covers a late event with an old time (T0 is then old) and a late event
    that removes matches (a login between two others, a user.added after a deletion).

    The other rules are single events or short sequences read through the events' index on
    type, and some read snapshots that change without any new event (roles, projects): they are
    recomputed whole at every build, which costs little.

    "Newly loaded": the events whose `loaded_at` is at or after the latest one the previous
    build saw (`>=`, as staging re-merges the last batch). The table's comment keeps that time
    and a digest of the rules' SQL (settings included): a table without it (built by an older
    release) or with another digest (a changed threshold, a detection turned on or off) is
    recomputed whole. Assumed: an event keeps its `effective_at` when the API lists it again. -#}

{#- The rules recomputed from the earliest new event on; the others are recomputed whole. -#}
{% macro openai_audit_matches_bounded_ids() -%}
    {{ return([
        'login_brute_force_success', 'login_failures_burst', 'login_credential_stuffing',
        'login_password_spray', 'login_impossible_travel', 'login_many_countries',
        'credential_sprawl', 'activity_after_user_deleted',
    ]) }}
{%- endmacro %}

{#- SQL true for the rows at or after their organization's time in `since` (a dict from
    organization to a UTC timestamp text), less `lookback` (an interval literal); `true` when
    `since` is none (every row), `false` when it is empty (no organization has new events). -#}
{% macro openai_audit_since_condition(
    since, lookback=none, at='effective_at', organization='organization'
) -%}
    {%- if since is none -%}
        true
    {%- elif not since -%}
        false
    {%- else -%}
        ({% for name, started in since | dictsort -%}
            ({{ organization }} = '{{ name | replace("'", "''") }}' and {{ at }} >= timestamptz '{{ started }}'
            {%- if lookback %} - {{ lookback }}{% endif %}){{ ' or ' if not loop.last }}
        {%- endfor %})
    {%- endif -%}
{%- endmacro %}

{#- The detections whose matches the model unions (enabled, and their model not disabled). -#}
{% macro openai_audit_matches_included() -%}
    {%- set included = [] -%}
    {%- for detection_id in openai_audit_detection_ids() -%}
        {%- if openai_audit_detection_in_union(detection_id) -%}
            {%- do included.append(detection_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(included) }}
{%- endmacro %}

{#- A digest of what the rules compute: their SQL, settings included, in order. -#}
{% macro openai_audit_matches_digest() -%}
    {%- set parts = [] -%}
    {%- for detection_id in openai_audit_matches_included() -%}
        {%- do parts.append(detection_id ~ ':' ~ openai_audit_detection_sql(detection_id)) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- What this build of the model recomputes: none (everything: a first or full build, a unit
    test, or a table whose comment does not match this release's rules), else the dict of
    openai_audit_since_condition, from each organization to the earliest `effective_at` of its
    newly loaded events. -#}
{% macro openai_audit_matches_since() -%}
    {%- if not execute or this is none or this is string or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set mark_query -%}
        select obj_description(to_regclass('{{ this | replace("'", "''") }}'), 'pg_class')
    {%- endset -%}
    {%- set mark = run_query(mark_query).columns[0].values()[0] -%}
    {%- set parts = (mark or '').split('|') -%}
    {%- if parts | length != 3 or parts[0] != 'openai_audit_matches'
            or parts[2] != openai_audit_matches_digest() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since_query -%}
        select
            organization,
            to_char(min(effective_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        from {{ ref('int_openai_audit__detection_events') }}
        where loaded_at >= timestamptz '{{ parts[1] }}'
        group by organization
    {%- endset -%}
    {%- set since = {} -%}
    {%- for row in run_query(since_query).rows -%}
        {%- do since.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(since) }}
{%- endmacro %}

{#- Pre-hook: on an incremental build, delete the matches this build computes again. -#}
{% macro openai_audit_matches_prune() -%}
    {%- if not is_incremental() -%}
        select 1
    {%- else -%}
        {%- set since = openai_audit_matches_since() -%}
        {%- set bounded = openai_audit_matches_bounded_ids() -%}
        delete from {{ this }}
        where
            detection_id not in ('{{ bounded | join("', '") }}')
            or {{ openai_audit_since_condition(since, at='match_at') }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: remember the latest `loaded_at` this build saw and the rules' digest. -#}
{% macro openai_audit_matches_mark() -%}
    do $mark$
    begin
        execute format(
            'comment on table {{ this }} is %L',
            'openai_audit_matches|' || coalesce(
                (
                    select to_char(max(loaded_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    from {{ ref('int_openai_audit__detection_events') }}
                ),
                '-infinity'
            ) || '|{{ openai_audit_matches_digest() }}'
        );
    end
    $mark$
{%- endmacro %}
