"""The organization's inventory: the objects the Admin API's list endpoints return.

Built from the same `Organization` the audit log's events draw their actors and resources
from, so users, projects, service accounts, project keys and groups are one set of ids in
both. Everything else (roles, certificates, rate limits, invites, admin keys) is drawn from a
random source of its own, derived from those ids. Objects follow the reference's schemas,
with a few shapes the API may plausibly send on top: nulls, an unknown field, U+0000 and a
lone surrogate in a name.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai_audit_emulator.actors import Organization

Obj = dict[str, Any]
ParentKey = tuple[str, ...]

DAY = 86_400
_OWNERS = 2  # the first users are organization owners
_MEMBERS_PER_PROJECT = 6
_MEMBERS_PER_GROUP = 4
_ARCHIVED_EVERY = 5  # every fifth project is archived (the last of the default five)
_MODELS = ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
_PROJECT_ROLES = ("owner", "member", "viewer")
_HOSTILE_USER = 3
_NEVER_USED = 3  # one user in four has never used a key


REFUSAL_STATUSES = (403, 404)


@dataclass
class Inventory:
    """Every list, keyed by stream name, then by the parent ids in the URL (empty at the top)."""

    lists: dict[str, dict[ParentKey, list[Obj]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (stream, parent ids or None for every parent) -> the status that list answers instead.
    refusals: dict[tuple[str, ParentKey | None], int] = field(default_factory=dict)

    def refuse(self, name: str, status: int | None, *parents: str) -> None:
        """Make one list answer `status` (403 or 404) instead of its page; None: answer again.

        Without `parents`, every request of the endpoint is refused (an organization without
        the feature, or a key without the permission); with them, only that parent's list (a
        404 there is a parent that went away while a client read the inventory).

        Raises:
            ValueError: for a stream the inventory does not serve, or another status.
        """
        if name not in self.lists:
            msg = f"no inventory list named {name!r}; one of: {', '.join(sorted(self.lists))}"
            raise ValueError(msg)
        if status is not None and status not in REFUSAL_STATUSES:
            msg = f"an inventory list can be made to answer 403 or 404, not {status}"
            raise ValueError(msg)
        key = (name, tuple(parents) if parents else None)
        with self.lock:
            if status is None:
                self.refusals.pop(key, None)
            else:
                self.refusals[key] = status

    def refusal(self, name: str, parents: ParentKey) -> int | None:
        """The status a request for this list answers instead of its page, if any."""
        with self.lock:
            return self.refusals.get((name, parents), self.refusals.get((name, None)))

    def items(self, name: str, parents: ParentKey = ()) -> list[Obj] | None:
        """The objects of one list, or None when the parent does not exist."""
        with self.lock:
            found = self.lists.get(name, {}).get(parents)
            return None if found is None else list(found)

    def delete(self, name: str, object_id: str, parents: ParentKey = ()) -> bool:
        """Remove the object with this `id` (for project groups: `group_id`) from one list."""
        with self.lock:
            items = self.lists.get(name, {}).get(parents)
            if items is None:
                return False
            kept = [item for item in items if _identity(item) != object_id]
            self.lists[name][parents] = kept
            return len(kept) < len(items)

    def count(self, name: str) -> int:
        """How many objects a stream has in all (for tests and the demo's summary)."""
        with self.lock:
            return sum(len(items) for items in self.lists.get(name, {}).values())


def _identity(item: Obj) -> object:
    return item.get("id", item.get("group_id"))


def build_inventory(org: Organization, *, now: int, hostile: bool = False) -> Inventory:
    """Draw the inventory of `org`, with every timestamp before `now` (Unix seconds).

    `hostile` adds what the API may plausibly send besides the reference's shapes (see
    `_make_hostile`).
    """
    rng = random.Random(f"inventory:{org.projects[0]['id'] if org.projects else ''}")
    inv = Inventory()
    builder = _Builder(org, rng, now, inv.lists)
    builder.build()
    if hostile:
        _make_hostile(inv)
    return inv


def _make_hostile(inv: Inventory) -> None:
    """Fields the reference does not list, and documented fields sent with another type.

    Each is on a field that no access-review question reads, so that the same organization
    answers those questions whether or not it is hostile.
    """
    users = inv.lists["users"][()]
    if len(users) <= _HOSTILE_USER:
        return
    target = users[_HOSTILE_USER]
    # What a user can type into a display name: U+0000 and a lone surrogate. Every list that
    # names the user shows it.
    name = "Donald\u0000 Knuth \ud800"
    for lists in (inv.lists["users"], inv.lists["project_users"], inv.lists["group_users"]):
        for items in lists.values():
            for item in items:
                if item["id"] == target["id"]:
                    item["name"] = name
    users[_HOSTILE_USER - 1]["technical_level"] = {"unexpected": ["shape", 1]}
    users[0]["added_at"] = float(users[0]["added_at"])  # a number where an integer was
    users[0]["brand_new_field"] = None
    # Fields the reference does not list yet: a string, an object, a number.
    users[1].update(
        brand_new_text="a field added after the reference was written",
        brand_new_object={"nested": {"list": [1, "two", None]}},
        brand_new_number=3.25,
    )
    users[1]["developer_persona"] = 42  # a documented string sent as a number
    users[1]["api_key_last_used_at"] = "last tuesday"  # a timestamp as a string, not RFC 3339
    users[2]["created"] = "2026-01-02T03:04:05+01:00"  # a timestamp as an RFC 3339 string
    users[1]["is_scim_managed"] = "false"  # a boolean sent as a string
    users[1]["extra"] = {"sent": "by the API under the name extra"}
    limits = next(items for items in inv.lists["project_rate_limits"].values() if items)
    limits[0]["max_images_per_1_minute"] = "unlimited"  # a documented integer sent as a string
    keys = next(items for items in inv.lists["project_api_keys"].values() if items)
    keys[0]["scopes"] = ["api.model.read"]  # an undeclared array on a child list


class _Builder:
    def __init__(
        self,
        org: Organization,
        rng: random.Random,
        now: int,
        lists: dict[str, dict[ParentKey, list[Obj]]],
    ) -> None:
        self.org, self.rng, self.now, self.lists = org, rng, now, lists

    def put(self, name: str, parents: ParentKey, items: list[Obj]) -> None:
        self.lists.setdefault(name, {})[parents] = items

    def ago(self, low_days: int, high_days: int) -> int:
        return self.now - self.rng.randrange(low_days * DAY, high_days * DAY)

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def build(self) -> None:
        users = self.users()
        projects = self.projects()
        roles = self.roles()
        self.put("invites", (), self.invites())
        self.put("admin_api_keys", (), self.admin_keys(users))
        certificates = self.certificates()
        members = self.project_members(users, projects)
        self.project_keys(projects, members)
        self.project_children(projects, members, certificates)
        self.groups_and_roles(users, projects, roles)

    def users(self) -> list[Obj]:
        users = []
        for index, person in enumerate(self.org.users):
            name = person["email"].split("@")[0].replace(".", " ").title()
            user: Obj = {
                "object": "organization.user",
                "id": person["id"],
                "name": name,
                "email": person["email"],
                "role": "owner" if index < _OWNERS else "reader",
                "added_at": self.ago(200, 600),
                "created": self.ago(600, 900),
                "is_default": False,
                "is_service_account": False,
                "is_scim_managed": index % 3 == 0,
                "api_key_last_used_at": None if index % 4 == _NEVER_USED else self.ago(0, 30),
                "user": {
                    "object": "user",
                    "id": person["id"],
                    "email": person["email"],
                    "name": name,
                    "picture": None,
                    "enabled": True,
                    "banned": None,
                    "banned_at": None,
                },
            }
            users.append(user)
        self.put("users", (), users)
        return users

    def projects(self) -> list[Obj]:
        projects = []
        for index, place in enumerate(self.org.projects):
            archived = index % _ARCHIVED_EVERY == _ARCHIVED_EVERY - 1
            created = self.ago(300, 700)
            projects.append(
                {
                    "id": place["id"],
                    "object": "organization.project",
                    "name": place["name"],
                    "created_at": created,
                    "archived_at": self.ago(1, 100) if archived else None,
                    "status": "archived" if archived else "active",
                    "external_key_id": None,
                    "residency": "GLOBAL",
                }
            )
        self.put("projects", (), projects)
        return projects

    def invites(self) -> list[Obj]:
        sent = self.ago(1, 20)
        return [
            {
                "object": "organization.invite",
                "id": f"invite-{self.hex(24)}",
                "email": "new.hire@example.com",
                "role": "reader",
                "status": "pending",
                "created_at": sent,
                "expires_at": sent + 7 * DAY,
                "accepted_at": None,
                "projects": [{"id": self.org.projects[0]["id"], "role": "member"}],
            },
            {
                "object": "organization.invite",
                "id": f"invite-{self.hex(24)}",
                "email": "contractor@example.com",
                "role": "owner",
                "status": "expired",
                "created_at": sent - 30 * DAY,
                "expires_at": sent - 23 * DAY,
                "accepted_at": None,
                "projects": [],
            },
        ]

    def admin_keys(self, users: list[Obj]) -> list[Obj]:
        owner = users[0]
        last_used = (self.ago(0, 2), self.now - 200 * DAY, None)
        names = ("ops automation", "old migration", "never used")
        keys = []
        for name, used in zip(names, last_used, strict=True):
            keys.append(
                {
                    "object": "organization.admin_api_key",
                    "id": f"key_{self.hex(16)}",
                    "name": name,
                    "redacted_value": f"sk-admin...{self.hex(3)}",
                    "created_at": self.ago(300, 400),
                    "expires_at": None,
                    "last_used_at": used,
                    "owner": {
                        "type": "user",
                        "object": "organization.user",
                        "id": owner["id"],
                        "name": owner["name"],
                        "created_at": owner["added_at"],
                        "role": "owner",
                    },
                }
            )
        return keys

    def certificates(self) -> list[Obj]:
        certs = []
        for index in range(2):
            valid = self.ago(30, 300)
            certs.append(
                {
                    "object": "organization.certificate",
                    "id": f"cert_{self.hex(24)}",
                    "name": None if index else "mTLS gateway",
                    "created_at": valid,
                    "certificate_details": {"valid_at": valid, "expires_at": valid + 365 * DAY},
                    "active": index == 0,
                }
            )
        self.put("certificates", (), certs)
        return certs

    def project_members(self, users: list[Obj], projects: list[Obj]) -> dict[str, list[Obj]]:
        members: dict[str, list[Obj]] = {}
        for index, project in enumerate(projects):
            if index == 0:  # the default project: everyone
                chosen = list(range(len(users)))
            else:
                count = min(_MEMBERS_PER_PROJECT, len(users))
                chosen = sorted({(index * 7 + k) % len(users) for k in range(count)})
            members[project["id"]] = [
                {
                    "object": "organization.project.user",
                    "id": users[u]["id"],
                    "name": users[u]["name"],
                    "email": users[u]["email"],
                    "role": "owner" if u < _OWNERS else "member",
                    "added_at": self.ago(10, 200),
                }
                for u in chosen
            ]
            self.put("project_users", (project["id"],), members[project["id"]])
        return members

    def project_keys(self, projects: list[Obj], members: dict[str, list[Obj]]) -> None:
        keys: dict[str, list[Obj]] = {project["id"]: [] for project in projects}
        accounts: dict[str, list[Obj]] = {project["id"]: [] for project in projects}
        if not projects:
            return
        for index, account_id in enumerate(self.org.service_accounts):
            project = projects[index % len(projects)]["id"]
            accounts[project].append(
                {
                    "object": "organization.project.service_account",
                    "id": account_id,
                    "name": f"deploy-bot-{index}",
                    "role": "member",
                    "created_at": self.ago(50, 250),
                }
            )
        by_account = {a["id"]: (p, a) for p, items in accounts.items() for a in items}
        for index, actor in enumerate(self.org.user_keys):
            key = actor["api_key"]
            project = projects[index % len(projects)]["id"]
            user = key["user"]
            member_ids = {member["id"] for member in members[project]}
            owner = {
                "type": "user",
                "user": {
                    "id": user["id"],
                    "email": user["email"],
                    "name": user["email"].split("@")[0].title(),
                    "created_at": self.ago(300, 600),
                    "role": "owner" if index < _OWNERS else "member",
                },
            }
            access = "active" if user["id"] in member_ids else "inactive"
            keys[project].append(self.project_key(key["id"], f"key of {user['id']}", owner, access))
        for actor in self.org.service_keys:
            key = actor["api_key"]
            project, account = by_account[key["service_account"]["id"]]
            owner = {
                "type": "service_account",
                "service_account": {
                    "id": account["id"],
                    "name": account["name"],
                    "created_at": account["created_at"],
                    "role": account["role"],
                },
            }
            keys[project].append(self.project_key(key["id"], account["name"], owner, "active"))
        for project_id, project_keys in keys.items():
            self.put("project_api_keys", (project_id,), project_keys)
            self.put("project_service_accounts", (project_id,), accounts[project_id])

    def project_key(self, key_id: str, name: str, owner: Obj, access: str) -> Obj:
        return {
            "object": "organization.project.api_key",
            "id": key_id,
            "name": name,
            "redacted_value": f"sk-proj-...{self.hex(3)}",
            "created_at": self.ago(100, 300),
            "last_used_at": self.ago(0, 10) if self.rng.random() < 0.7 else None,  # noqa: PLR2004
            "owner_project_access": access,
            "owner": owner,
            "expires_at": None,
        }

    def project_children(
        self, projects: list[Obj], members: dict[str, list[Obj]], certificates: list[Obj]
    ) -> None:
        for index, project in enumerate(projects):
            pid = project["id"]
            certs = [
                {**cert, "object": "organization.project.certificate", "active": index % 2 == 0}
                for cert in certificates[: 1 + index % 2]
            ]
            self.put("project_certificates", (pid,), certs)
            limits = []
            for model in _MODELS:
                limit: Obj = {
                    "object": "project.rate_limit",
                    "id": f"rl-{model}",
                    "model": model,
                    "max_requests_per_1_minute": 500,
                    "max_tokens_per_1_minute": 200_000,
                }
                if model == "gpt-4o":
                    limit["max_images_per_1_minute"] = 50
                    limit["batch_1_day_max_input_tokens"] = 2_000_000
                limits.append(limit)
            self.put("project_rate_limits", (pid,), limits)
            roles = [self.role(name, "api.project", f"project {name}") for name in _PROJECT_ROLES]
            self.put("project_roles", (pid,), roles)
            by_name = {role["name"]: role for role in roles}
            for member in members[pid]:
                self.put(
                    "project_user_roles",
                    (pid, member["id"]),
                    [self.assigned(by_name[member["role"]], None)],
                )

    def roles(self) -> list[Obj]:
        roles = [
            self.role("owner", "api.organization", "Full control of the organization"),
            self.role("reader", "api.organization", "Read-only access"),
            self.role("billing-viewer", "api.organization", None, predefined=False),
        ]
        self.put("roles", (), roles)
        return roles

    def role(
        self, name: str, resource_type: str, description: str | None, *, predefined: bool = True
    ) -> Obj:
        return {
            "object": "role",
            "id": f"role_{self.hex(26).upper()}",
            "name": name,
            "description": description,
            "permissions": ["api.organization.read"] if name != "owner" else ["*"],
            "resource_type": resource_type,
            "predefined_role": predefined,
        }

    def assigned(self, role: Obj, source: Obj | None) -> Obj:
        details = {key: value for key, value in role.items() if key != "object"}
        return {
            **details,
            "created_at": self.ago(100, 400),
            "updated_at": self.ago(0, 100),
            "created_by": None,
            "created_by_user_obj": None,
            "metadata": {},
            "assignment_sources": [] if source is None else [source],
        }

    def groups_and_roles(self, users: list[Obj], projects: list[Obj], roles: list[Obj]) -> None:
        owner, reader = roles[0], roles[1]
        groups: list[Obj] = []
        for index, team in enumerate(self.org.groups):
            groups.append(
                {
                    "id": team["id"],
                    "name": team["name"],
                    "created_at": self.ago(100, 500),
                    "is_scim_managed": index % 2 == 1,
                    "group_type": "group",
                }
            )
            count = min(_MEMBERS_PER_GROUP, len(users))
            chosen = sorted({(_OWNERS + index * 3 + k) % len(users) for k in range(count)})
            self.put(
                "group_users",
                (team["id"],),
                [
                    {"id": users[u]["id"], "name": users[u]["name"], "email": users[u]["email"]}
                    for u in chosen
                ],
            )
            # The first group holds the owner role: its members are owners through it.
            self.put(
                "group_roles", (team["id"],), [self.assigned(owner if index == 0 else reader, None)]
            )
        self.put("groups", (), groups)
        for index, user in enumerate(users):
            role = owner if index < _OWNERS else reader
            self.put("user_roles", (user["id"],), [self.assigned(role, None)])
        for index, project in enumerate(projects):
            pid = project["id"]
            chosen_groups = groups[index % max(len(groups), 1) : index % max(len(groups), 1) + 2]
            project_groups = [
                {
                    "object": "project.group",
                    "project_id": pid,
                    "group_id": group["id"],
                    "group_name": group["name"],
                    "group_type": group["group_type"],
                    "created_at": self.ago(10, 100),
                }
                for group in chosen_groups
            ]
            self.put("project_groups", (pid,), project_groups)
            member_role = next(
                r for r in self.lists["project_roles"][(pid,)] if r["name"] == "member"
            )
            for group in chosen_groups:
                source = {"principal_id": group["id"], "principal_type": "group"}
                self.put(
                    "project_group_roles",
                    (pid, str(group["id"])),
                    [self.assigned(member_role, source)],
                )
