{#- owner_role_holder (info): one row per user holding the owner role, with every way they hold
    it: the organization role (`users.role`), a role assignment of the user, or a role of a
    group they are a member of. A role is the owner role when its name is `owner`, in any case.
    Live rows only. -#}

with holdings as (

    select organization, id as user_id, 'organization role owner' as how
    from {{ ref('stg_openai_audit__users') }}
    where not is_deleted
        and lower(btrim(role)) = 'owner'

    union

    select organization, user_id, format('role assignment %s (%s)', name, id) as how
    from {{ ref('stg_openai_audit__user_roles') }}
    where not is_deleted
        and lower(btrim(name)) = 'owner'

    union

    select
        group_roles.organization,
        group_users.id as user_id,
        format('member of group %s, which holds role %s (%s)',
            group_roles.group_id, group_roles.name, group_roles.id) as how
    from {{ ref('stg_openai_audit__group_roles') }} as group_roles
    inner join {{ ref('stg_openai_audit__group_users') }} as group_users
        on group_users.organization is not distinct from group_roles.organization
        and group_users.group_id = group_roles.group_id
    where not group_roles.is_deleted
        and not group_users.is_deleted
        and lower(btrim(group_roles.name)) = 'owner'

)

select
    organization,
    'owner_role_holder'::text as check_id,
    'info'::text as severity,
    'user'::text as subject_type,
    user_id as subject_id,
    null::text as project_id,
    'Holds the owner role: ' || string_agg(how, '; ' order by how) as detail
from holdings
where user_id is not null
group by organization, user_id
