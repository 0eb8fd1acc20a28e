{#- project_key_owner_without_access (high): a live project API key whose owner no longer reaches
    the project. The API says so itself (`owner_project_access` = inactive); where it does not
    say (an older API, or a key listed without the field), the inventory decides, but only for a
    project that is not archived and whose users were read (an archived project's users cannot
    be listed, and a deselected stream proves nothing): the key's user owner is neither a live
    member of the project nor a live member of a group with access to it. -#}

with keys as (

    select
        organization,
        project_id,
        id,
        name,
        lower(btrim(owner_project_access)) as owner_project_access,
        case
            when {{ openai_audit_json_text('owner', ['type']) }} = 'user'
                then {{ openai_audit_json_text('owner', ['user', 'id']) }}
        end as owner_user_id
    from {{ ref('stg_openai_audit__project_api_keys') }}
    where not is_deleted

),

open_projects as (

    select organization, id
    from {{ ref('stg_openai_audit__projects') }}
    where not is_deleted
        and archived_at is null
        and coalesce(lower(btrim(status)), 'active') <> 'archived'

),

read_projects as (

    select distinct organization, project_id
    from {{ ref('stg_openai_audit__project_users') }}

),

members as (

    select organization, project_id, id as user_id
    from {{ ref('stg_openai_audit__project_users') }}
    where not is_deleted

    union

    select project_groups.organization, project_groups.project_id, group_users.id as user_id
    from {{ ref('stg_openai_audit__project_groups') }} as project_groups
    inner join {{ ref('stg_openai_audit__group_users') }} as group_users
        on group_users.organization is not distinct from project_groups.organization
        and group_users.group_id = project_groups.group_id
    where not project_groups.is_deleted
        and not group_users.is_deleted

),

findings as (

    select
        keys.*,
        'the API reports owner_project_access inactive' as reason
    from keys
    where keys.owner_project_access = 'inactive'

    union all

    select
        keys.*,
        'its owner ' || keys.owner_user_id
        || ' is neither a member of the project nor of a group with access to it' as reason
    from keys
    inner join open_projects
        on open_projects.organization is not distinct from keys.organization
        and open_projects.id = keys.project_id
    inner join read_projects
        on read_projects.organization is not distinct from keys.organization
        and read_projects.project_id = keys.project_id
    where keys.owner_project_access is null
        and keys.owner_user_id is not null
        and not exists (
            select 1
            from members
            where members.organization is not distinct from keys.organization
                and members.project_id = keys.project_id
                and members.user_id = keys.owner_user_id
        )

)

select
    organization,
    'project_key_owner_without_access'::text as check_id,
    'high'::text as severity,
    'project_api_key'::text as subject_type,
    id as subject_id,
    project_id,
    format('Project API key %s (%s) of project %s: %s',
        id, coalesce(name, 'unnamed'), project_id, reason) as detail
from findings
