"""The attack story's inventory: its people and keys, and a case of every access-review check.

Each check gets objects that must be found and near misses that must not (labels in
`data/attack_story.json`). Ages count back from `now`, the moment the snapshot is taken, so a
key unused for 89 days is a near miss whatever the day the tests run; the margins (a day) are
far wider than the time between building the inventory and the tap's reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.story_actors import (
    ADMIN_KEY,
    ANITA,
    BOB,
    BOB_KEY,
    DAY,
    GUIDO,
    IDA,
    LISTED,
    LYNN,
    MARTIN,
    MARY,
    RON,
    RON_KEY,
    SERVICE_ACCOUNT,
    SERVICE_KEY,
    SOPHIE,
    WHITFIELD,
    Person,
    at,
)

if TYPE_CHECKING:
    from openai_audit_emulator.inventory import Inventory, Obj

_ABSENT = None  # `owner_project_access` left out of the object (older answers lack it)
GROUP_READERS = "group_story_incident_response"  # reader role; access to the active project
GROUP_OWNERS = "group_story_incident_admins"  # holds the owner role


@dataclass(frozen=True)
class StoryProjects:
    """The projects the story's objects sit in: ids as the inventory lists them."""

    default: str  # everyone is a member
    active: str  # not archived; its members read, SOPHIE among them
    archived: str  # its members are never read (the API refuses them)


class _Planter:
    def __init__(self, inventory: Inventory, projects: StoryProjects, now: int) -> None:
        self.lists, self.projects, self.now = inventory.lists, projects, now
        self.roles = {role["name"]: role for role in inventory.lists["roles"][()]}

    def ago(self, days: float) -> int:
        return self.now - round(days * DAY)

    def add(self, name: str, parents: tuple[str, ...], *items: Obj) -> None:
        self.lists.setdefault(name, {}).setdefault(parents, []).extend(items)

    def assigned(self, role: Obj, source: Obj | None = None) -> Obj:
        details = {key: value for key, value in role.items() if key != "object"}
        return {
            **details,
            "created_at": self.ago(400),
            "updated_at": self.ago(40),
            "created_by": None,
            "created_by_user_obj": None,
            "metadata": {},
            "assignment_sources": [] if source is None else [source],
        }

    def people(self) -> None:
        delegate = {
            "object": "role",
            "id": "role_STORYOWNERDELEGATE",
            "name": "owner-delegate",  # holds the word, is not the owner role
            "description": "Approves spend on behalf of the owners",
            "permissions": ["api.organization.read"],
            "resource_type": "api.organization",
            "predefined_role": False,
        }
        self.add("roles", (), delegate)
        owner, reader = self.roles["owner"], self.roles["reader"]
        held = {ANITA: [owner], MARY: [], LYNN: [owner], BOB: [self.roles["billing-viewer"]]}
        held[MARTIN] = [delegate]
        for person in LISTED:
            self.add(
                "users", (), self.user(person, "owner" if person in {ANITA, MARY} else "reader")
            )
            roles = held.get(person, [reader])
            self.lists.setdefault("user_roles", {})[(person.id,)] = [
                self.assigned(r) for r in roles
            ]
            self.member(self.projects.default, person, "member")
        self.member(self.projects.active, SOPHIE, "owner")  # a project owner, not an org owner

    def user(self, person: Person, role: str) -> Obj:
        name = person.name.title()
        return {
            "object": "organization.user",
            "id": person.id,
            "name": name,
            "email": person.email,
            "role": role,
            "added_at": self.ago(300),
            "created": self.ago(400),
            "is_default": False,
            "is_service_account": False,
            "is_scim_managed": False,
            "api_key_last_used_at": self.ago(2),
            "user": {
                "object": "user",
                "id": person.id,
                "email": person.email,
                "name": name,
                "picture": None,
                "enabled": True,
                "banned": None,
                "banned_at": None,
            },
        }

    def member(self, project: str, person: Person, role: str) -> None:
        self.add(
            "project_users",
            (project,),
            {
                "object": "organization.project.user",
                "id": person.id,
                "name": person.name.title(),
                "email": person.email,
                "role": role,
                "added_at": self.ago(200),
            },
        )
        by_name = {r["name"]: r for r in self.lists["project_roles"][(project,)]}
        self.lists["project_user_roles"][(project, person.id)] = [self.assigned(by_name[role])]

    def groups(self) -> None:
        member_role = next(
            r for r in self.lists["project_roles"][(self.projects.active,)] if r["name"] == "member"
        )
        for group_id, name, role, person in (
            (GROUP_READERS, "Incident response", self.roles["reader"], BOB),
            (GROUP_OWNERS, "Incident response admins", self.roles["owner"], IDA),
        ):
            self.add(
                "groups",
                (),
                {
                    "id": group_id,
                    "name": name,
                    "created_at": self.ago(150),
                    "is_scim_managed": False,
                    "group_type": "group",
                },
            )
            self.lists["group_users"][(group_id,)] = [
                {"id": person.id, "name": person.name.title(), "email": person.email}
            ]
            self.lists["group_roles"][(group_id,)] = [self.assigned(role)]
        self.add(
            "project_groups",
            (self.projects.active,),
            {
                "object": "project.group",
                "project_id": self.projects.active,
                "group_id": GROUP_READERS,
                "group_name": "Incident response",
                "group_type": "group",
                "created_at": self.ago(120),
            },
        )
        source = {"principal_id": GROUP_READERS, "principal_type": "group"}
        self.lists["project_group_roles"][(self.projects.active, GROUP_READERS)] = [
            self.assigned(member_role, source)
        ]

    def project_keys(self) -> None:
        p = self.projects
        self.add(
            "project_service_accounts",
            (p.active,),
            {
                "object": "organization.project.service_account",
                "id": SERVICE_ACCOUNT,
                "name": "ci-pipeline",
                "role": "member",
                "created_at": self.ago(250),
            },
        )
        ci = {
            "type": "service_account",
            "service_account": {
                "id": SERVICE_ACCOUNT,
                "name": "ci-pipeline",
                "created_at": self.ago(250),
                "role": "member",
            },
        }
        # (project, id, owner, owner_project_access, created, last used, expires): days ago.
        keys: list[tuple[str, str, Obj, str | None, float, float | None, float | None]] = [
            # Owner without access: flagged inactive; or the field absent and the owner
            # neither a member nor in a group with access (RON was deleted).
            (p.active, "key_story_inactive", self.owner(GUIDO), "inactive", 150, 2, None),
            (p.active, RON_KEY, self.owner(RON), _ABSENT, 200, 2, None),
            # ... near misses: access through a group, a direct member, a service account's
            # key, an archived project (its members are never read).
            (p.active, "key_story_group", self.owner(BOB), _ABSENT, 150, 2, None),
            (p.active, "key_story_member", self.owner(SOPHIE), _ABSENT, 150, 2, None),
            (p.active, SERVICE_KEY, ci, _ABSENT, 200, 1, None),
            (p.archived, "key_story_archived", self.owner(WHITFIELD), _ABSENT, 150, 2, None),
            (p.default, BOB_KEY, self.owner(BOB), "active", 120, 3, None),
            # Unused for 90 days: one day past it, never used, an expiry still ahead ...
            (p.default, "key_story_proj_stale", self.owner(LYNN), "active", 91.05, 91, None),
            (p.default, "key_story_proj_idle", self.owner(LYNN), "active", 150, None, None),
            (p.default, "key_story_proj_expiring", self.owner(LYNN), "active", 150, None, -30),
            # ... near misses: one day short, used one day short, expired.
            (p.default, "key_story_proj_fresh", self.owner(LYNN), "active", 89, None, None),
            (p.default, "key_story_proj_recent", self.owner(LYNN), "active", 150, 89, None),
            (p.default, "key_story_proj_expired", self.owner(LYNN), "active", 150, None, 1),
        ]
        for project, key_id, owner, access, created, used, expires in keys:
            key: Obj = {
                "object": "organization.project.api_key",
                "id": key_id,
                "name": key_id.removeprefix("key_story_").replace("_", " "),
                "redacted_value": "sk-proj-...st0r",
                "created_at": self.ago(created),
                "last_used_at": None if used is None else self.ago(used),
                "owner_project_access": access,
                "owner": owner,
                "expires_at": None if expires is None else self.ago(expires),
            }
            if access is _ABSENT:
                del key["owner_project_access"]
            self.add("project_api_keys", (project,), key)

    def owner(self, person: Person) -> Obj:
        return {
            "type": "user",
            "user": {
                "id": person.id,
                "email": person.email,
                "name": person.name.title(),
                "created_at": self.ago(400),
                "role": "member",
            },
        }

    def admin_keys(self) -> None:
        # (id, created, last used, expires): days ago. Found: one day past 90, and never
        # used with an expiry still ahead. Near misses: one day short either way, expired,
        # and the two keys the log shows at work.
        keys: list[tuple[str, float, float | None, float | None]] = [
            ("key_story_admin_stale", 91.05, 91, None),
            ("key_story_admin_idle", 120, None, -30),
            ("key_story_admin_fresh", 89, None, None),
            ("key_story_admin_recent", 200, 89, None),
            ("key_story_admin_expired", 200, None, 1),
            (ADMIN_KEY, 300, 1, None),
        ]
        for key_id, created, used, expires in keys:
            self.add(
                "admin_api_keys",
                (),
                self.admin_key(
                    key_id,
                    self.ago(created),
                    None if used is None else self.ago(used),
                    None if expires is None else self.ago(expires),
                ),
            )
        # Created in the log (day 5, 11:00) and in use since.
        self.add(
            "admin_api_keys",
            (),
            self.admin_key("key_story_admin_new", at(5, 11), self.ago(1), None),
        )

    def admin_key(self, key_id: str, created: int, used: int | None, expires: int | None) -> Obj:
        return {
            "object": "organization.admin_api_key",
            "id": key_id,
            "name": key_id.removeprefix("key_story_").replace("_", " "),
            "redacted_value": "sk-admin...st0r",
            "created_at": created,
            "expires_at": expires,
            "last_used_at": used,
            "owner": {
                "type": "user",
                "object": "organization.user",
                "id": ANITA.id,
                "name": "Anita",
                "created_at": self.ago(400),
                "role": "owner",
            },
        }

    def invites(self) -> None:
        # (id, e-mail, status, sent, accepted): days ago. Found: pending for 31 days. Near
        # misses: pending for 29, accepted, expired; the two the log shows sent (expired).
        invites: list[tuple[str, str, str, int, int | None]] = [
            ("invite-story-stale", "auditor@example.com", "pending", self.ago(31), None),
            ("invite-story-recent", "analyst@example.com", "pending", self.ago(29), None),
            ("invite-story-accepted", "sophie@example.com", "accepted", self.ago(60), self.ago(58)),
            ("invite-story-expired", "temp@example.com", "expired", self.ago(45), None),
            ("invite-story-owner", "new.owner@example.com", "expired", at(5, 9, 20), None),
            ("invite-story-coowner", "co.owner@example.com", "expired", at(5, 9, 50), None),
        ]
        for invite_id, email, status, sent, accepted in invites:
            self.add(
                "invites",
                (),
                {
                    "object": "organization.invite",
                    "id": invite_id,
                    "email": email,
                    "role": "owner" if "owner" in invite_id else "reader",
                    "status": status,
                    "created_at": sent,
                    "expires_at": sent + 7 * DAY if status == "expired" else None,
                    "accepted_at": accepted,
                    "projects": [],
                },
            )


def plant_inventory(inventory: Inventory, projects: StoryProjects, *, now: int) -> None:
    """Add the story's objects to `inventory`, ages counted back from `now` (Unix seconds)."""
    planter = _Planter(inventory, projects, now)
    with inventory.lock:
        planter.people()
        planter.groups()
        planter.project_keys()
        planter.admin_keys()
        planter.invites()


def story_projects(inventory: Inventory) -> StoryProjects:
    """Pick the default project, a live one and an archived one from the inventory.

    Raises:
        ValueError: when the organization has no such projects (the default one has them).
    """
    projects: list[Any] = inventory.lists.get("projects", {}).get((), [])
    live = [p["id"] for p in projects[1:] if p.get("status") != "archived"]
    archived = [p["id"] for p in projects if p.get("status") == "archived"]
    if not projects or not live or not archived:
        msg = "the attack story needs a default project, another live one and an archived one"
        raise ValueError(msg)
    return StoryProjects(default=projects[0]["id"], active=live[0], archived=archived[0])
