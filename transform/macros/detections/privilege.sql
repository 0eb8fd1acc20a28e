{#- The rules on grants of power and on the logging that would show them. -#}

{#- Whether the event's actor is an API key (its type, else the presence of a key id). -#}
{% macro openai_audit_actor_is_api_key() -%}
    coalesce(actor_type = 'api_key', actor_api_key_id is not null)
{%- endmacro %}

{#- A user.added, user.updated or invite.sent whose role is `owner`: read from
    changes_requested.role, else data.role (a role sent as an object is read by its name),
    trimmed and lower-cased. An organization role: the project an API-key event carries is
    the key's own, so it plays no part. Critical when an API key made the grant (an automated
    path to the top role), else high. -#}
{% macro openai_audit_detection_owner_role_granted() -%}
with grants as (

    select
        *,
        coalesce(
            case jsonb_typeof(payload #> '{changes_requested,role}')
                when 'string' then payload #>> '{changes_requested,role}'
                when 'object' then {{ openai_audit_json_text('payload', ['changes_requested', 'role', 'name']) }}
            end,
            case jsonb_typeof(payload #> '{data,role}')
                when 'string' then payload #>> '{data,role}'
                when 'object' then {{ openai_audit_json_text('payload', ['data', 'role', 'name']) }}
            end
        ) as role,
        {{ openai_audit_json_text('payload', ['data', 'email']) }} as invited_email
    from {{ ref('int_openai_audit__detection_events') }}
    where type in ('user.added', 'user.updated', 'invite.sent')

)

select
    {{ openai_audit_match_columns(
        detection_id='owner_role_granted',
        subject_type='actor',
        subject=openai_audit_actor_subject(),
        severity="case when " ~ openai_audit_actor_is_api_key() ~ " then 'critical' else 'high' end",
        event_ids='array[id]',
        needed_loaded_at='loaded_at',
        detail=openai_audit_match_who() ~ " || case type
            when 'invite.sent' then ' invited '
                || coalesce(invited_email, object_id, 'an unknown person') || ' as owner'
            when 'user.added' then ' added ' || coalesce(object_id, 'an unknown user')
                || ' as owner'
            else ' made ' || coalesce(object_id, 'an unknown user') || ' an owner'
        end || case when " ~ openai_audit_actor_is_api_key() ~ " then ', with an API key' else '' end",
    ) | indent(4) }}
from grants
where lower(btrim(role, E' \t\r\n')) = 'owner'
{%- endmacro %}

{#- A role.assignment.created on the organization (`resource_type` api.organization). The
    role is read from the assignment id, `role_assignment_<role id>__<resource type>__...`
    (the role id is what lies between the prefix and the first `__`), and looked up in the
    `roles` snapshot, deleted rows included. An owner role is one named `owner` in any case,
    or whose id says `owner` (even when the snapshot lacks it): high. Any other role is
    medium, and so is a role found nowhere, whose detail says it is unknown. Payloads of
    other shapes give nulls (an unknown role), never an error. -#}
{% macro openai_audit_detection_rbac_role_assigned() -%}
with assignments as (

    select
        *,
        substring(
            {{ openai_audit_json_text('payload', ['id']) }} from '^role_assignment_(.+?)__'
        ) as role_id,
        {{ openai_audit_json_text('payload', ['principal_type']) }} as principal_type,
        {{ openai_audit_json_text('payload', ['principal_id']) }} as principal_id
    from {{ ref('int_openai_audit__detection_events') }}
    where
        type = 'role.assignment.created'
        and {{ openai_audit_json_text('payload', ['resource_type']) }} = 'api.organization'

),

roles as (

    -- one name per role id of each organization, a live row first
    select distinct on (organization, id)
        organization,
        id,
        name
    from {{ ref('stg_openai_audit__roles') }}
    where id is not null
    order by organization, id, is_deleted, name

),

graded as (

    select
        a.*,
        r.id is not null as known,
        r.name as role_name,
        coalesce(lower(btrim(r.name)) = 'owner', false)
        or coalesce(strpos(lower(a.role_id), 'owner') > 0, false) as is_owner
    from assignments as a
    left join roles as r on a.organization = r.organization and a.role_id = r.id

)

select
    {{ openai_audit_match_columns(
        detection_id='rbac_role_assigned',
        subject_type='actor',
        subject=openai_audit_actor_subject(),
        severity="case when is_owner then 'high' else 'medium' end",
        event_ids='array[id]',
        needed_loaded_at='loaded_at',
        detail=openai_audit_match_who() ~ " || ' assigned '
            || case
                when known then 'the role ' || coalesce(role_name, role_id)
                    || case when is_owner then ' (an owner role)' else '' end
                when is_owner then 'the owner role ' || role_id
                else 'an unknown role' || coalesce(' (' || role_id || ')', '')
            end
            || ' on the organization to '
            || coalesce(principal_type || ' ', '') || coalesce(principal_id, 'an unknown principal')",
    ) | indent(4) }}
from graded
{%- endmacro %}

{#- An organization.updated whose changes_requested (an object) has the key api_call_logging
    or api_call_logging_project_ids, graded by the new value of api_call_logging: `disabled`,
    or any value that is not one of the four documented ones (JSON null included), is high;
    `enabled_per_call` and `enabled_for_selected_projects` are medium, and so is a change of
    the project list alone; `enabled_for_all_projects` is info. Keys nested deeper (the older
    `settings` shape) do not count. -#}
{% macro openai_audit_detection_api_call_logging_changed() -%}
with changes as (

    select
        *,
        payload -> 'changes_requested' as changes_requested
    from {{ ref('int_openai_audit__detection_events') }}
    where type = 'organization.updated'

),

valued as (

    select
        *,
        changes_requested ? 'api_call_logging' as sets_logging,
        case
            when jsonb_typeof(changes_requested -> 'api_call_logging') = 'string'
                then changes_requested ->> 'api_call_logging'
        end as logging
    from changes
    where
        jsonb_typeof(changes_requested) = 'object'
        and (
            changes_requested ? 'api_call_logging'
            or changes_requested ? 'api_call_logging_project_ids'
        )

)

select
    {{ openai_audit_match_columns(
        detection_id='api_call_logging_changed',
        subject_type='actor',
        subject=openai_audit_actor_subject(),
        severity="case
            when not sets_logging then 'medium'
            when logging = 'enabled_for_all_projects' then 'info'
            when logging in ('enabled_per_call', 'enabled_for_selected_projects') then 'medium'
            else 'high'
        end",
        event_ids='array[id]',
        needed_loaded_at='loaded_at',
        detail=openai_audit_match_who() ~ " || case
            when not sets_logging then ' changed the projects whose API calls are logged to '
                || (changes_requested -> 'api_call_logging_project_ids')::text
            else ' set API call logging to '
                || coalesce(logging, (changes_requested -> 'api_call_logging')::text)
        end",
    ) | indent(4) }}
from valued
{%- endmacro %}

{#- A checkpoint.permission.created whose data.project_id is no project of the organization:
    no row, live or deleted, of the `projects` snapshot. None when that snapshot is empty (it
    proves nothing then), nor when the event names no project. -#}
{% macro openai_audit_detection_checkpoint_shared_outside() -%}
with shares as (

    select
        *,
        {{ openai_audit_json_text('payload', ['data', 'project_id']) }} as target_project_id,
        {{ openai_audit_json_text('payload', ['data', 'fine_tuned_model_checkpoint']) }}
            as checkpoint
    from {{ ref('int_openai_audit__detection_events') }}
    where type = 'checkpoint.permission.created'

),

outside as (

    select *
    from shares
    where
        target_project_id is not null
        -- the projects of the sharing organization: another organization's project is outside
        and exists (
            select 1 from {{ ref('stg_openai_audit__projects') }} as p
            where p.organization = shares.organization
        )
        and not exists (
            select 1 from {{ ref('stg_openai_audit__projects') }} as p
            where p.organization = shares.organization and p.id = shares.target_project_id
        )

)

select
    {{ openai_audit_match_columns(
        detection_id='checkpoint_shared_outside',
        subject_type='actor',
        subject=openai_audit_actor_subject(),
        severity="'high'",
        event_ids='array[id]',
        needed_loaded_at='loaded_at',
        detail=openai_audit_match_who() ~ " || ' shared checkpoint '
            || coalesce(checkpoint, object_id, '(not in the event)')
            || ' with project ' || target_project_id
            || ', which is not a project of this organization'",
    ) | indent(4) }}
from outside
{%- endmacro %}

{#- The defense-impairment sequence: an admin API key created, an owner role granted (either
    way) or a service account created by the actor of a logging change rated high at most
    `window_hours` before it (strictly earlier). The rules are run here whether or not their
    own detections are enabled. The match lists the latest such change before it. -#}
{% macro openai_audit_detection_logging_disabled_then_privileged() -%}
{%- set window_hours = openai_audit_detection_setting('logging_disabled_then_privileged', 'window_hours') | int %}
with logging_changes as (

    select *
    from ({{ openai_audit_detection_api_call_logging_changed() | indent(8) }}) as changes
    where severity = 'high' and subject <> 'unknown'

),

privileged as (

    select *
    from ({{ openai_audit_detection_owner_role_granted() | indent(8) }}) as grants
    union all
    select *
    from ({{ openai_audit_detection_rbac_role_assigned() | indent(8) }}) as assignments
    where severity = 'high'
    union all
    select *
    from ({{ openai_audit_detection_admin_api_key_created() | indent(8) }}) as keys
    union all
    select
        {{ openai_audit_match_columns(
            detection_id='service_account_created',
            subject_type='actor',
            subject=openai_audit_actor_subject(),
            severity="'high'",
            event_ids='array[id]',
            needed_loaded_at='loaded_at',
            detail=openai_audit_match_who() ~ " || ' created service account ' || coalesce(object_id, '(id not in the event)')",
        ) | indent(8) }}
    from {{ ref('int_openai_audit__detection_events') }}
    where type = 'service_account.created'

),

-- per privileged match, the time of its actor's latest logging change strictly before it:
-- one sort of both sets by actor, rather than a scan of every change per privileged match
stamped as (

    select
        organization,
        match_id,
        is_change,
        max(match_at) filter (where is_change) over (
            partition by organization, subject order by match_at
            -- timestamptz counts microseconds: this frame ends strictly before the row
            range between unbounded preceding and interval '1 microsecond' preceding
        ) as change_at
    from (
        select organization, subject, match_id, match_at, true as is_change
        from logging_changes
        union all
        select organization, subject, match_id, match_at, false
        from privileged
        where subject <> 'unknown'
    ) as both_sets

),

sequences as (

    -- the latest change of that second, by id
    select distinct on (p.organization, p.match_id)
        p.*,
        l.match_id as change_id,
        l.match_at as change_at,
        l.needed_loaded_at as change_loaded_at,
        l.detail as change_detail
    from privileged as p
    inner join stamped as s
        on s.organization = p.organization and s.match_id = p.match_id and not s.is_change
    inner join logging_changes as l
        on
            l.organization = p.organization
            and l.subject = p.subject
            and l.match_at = s.change_at
    where s.change_at >= p.match_at - interval '{{ window_hours }} hours'
    order by p.organization, p.match_id, l.match_id desc

)

select
    {{ openai_audit_match_columns(
        detection_id='logging_disabled_then_privileged',
        subject_type='actor',
        subject='subject',
        severity="'critical'",
        event_ids='array[change_id, match_id]',
        needed_loaded_at='greatest(needed_loaded_at, change_loaded_at)',
        match_id='match_id',
        match_at='match_at',
        detail="change_detail || ', then ' || detail || ' within "
            ~ window_hours ~ " hours'",
    ) | indent(4) }}
from sequences
{%- endmacro %}
