"""Who may manage accounts. Deny by default: an action not listed here is refused to every role.

Administrators reach the accounts whose scopes lie inside their own region subtree. Which roles
they may hand out is decided by ``may_grant`` (at or below their own level, inside their scope).
"""

from __future__ import annotations

from gongjian.core.kernel import Actor
from gongjian.core.permissions import Reach
from gongjian.core.scope import actor_scopes

from .choices import ADMIN_ROLES, ROLE_REGION_LEVEL, Role

ADMIN_SCOPE = {role: Reach.SCOPE for role in ADMIN_ROLES}

ACCOUNT_VIEW = "accounts.account_view"
ACCOUNT_CREATE = "accounts.account_create"
ACCOUNT_MANAGE = "accounts.account_manage"  # grant/revoke, reset password, (de)activate, unlock
ACCOUNT_EXPORT = "accounts.account_export"

RULES = {
    ACCOUNT_VIEW: ADMIN_SCOPE,
    ACCOUNT_CREATE: ADMIN_SCOPE,
    ACCOUNT_MANAGE: ADMIN_SCOPE,
    ACCOUNT_EXPORT: ADMIN_SCOPE,
}

# 0 = city … 3 = community; lower numbers are higher levels.
ADMIN_LEVEL = {Role.CITY_ADMIN: 0, Role.DISTRICT_ADMIN: 1, Role.SUBDISTRICT_ADMIN: 2, Role.COMMUNITY_ADMIN: 3}
LEVEL_OF_ROLE = {str(k): v for k, v in ADMIN_LEVEL.items()}
assert set(ADMIN_LEVEL) == set(ROLE_REGION_LEVEL)


def admin_paths(actor: Actor, *, for_role: str | None = None) -> list[str] | None:
    """Region paths where ``actor`` administers; None = everywhere (superuser).

    With ``for_role``: only the admin scopes whose level allows granting that role
    (an admin role at or below the actor's level; any other role from any admin scope).
    """
    if getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False):
        return None
    if actor is None or not getattr(actor, "is_active", False):
        return []
    wanted = LEVEL_OF_ROLE.get(str(for_role)) if for_role else None
    paths: set[str] = set()
    for scope in actor_scopes(actor):
        level = LEVEL_OF_ROLE.get(scope.role)
        if level is None or scope.kind != "region" or not scope.region_path:
            continue
        if wanted is not None and level > wanted:
            continue
        paths.add(scope.region_path)
    return sorted(paths)


def path_within(path: str, paths: list[str] | None) -> bool:
    if paths is None:
        return True
    return bool(path) and any(path.startswith(p) for p in paths)


def grantable_roles(actor: Actor) -> list[str]:
    """The roles ``actor`` may hand out somewhere in its scope."""
    if getattr(actor, "is_superuser", False):
        return list(Role.values)
    levels = [LEVEL_OF_ROLE[s.role] for s in actor_scopes(actor) if s.role in LEVEL_OF_ROLE and s.kind == "region"]
    if not levels:
        return []
    top = min(levels)
    return [r for r in Role.values if LEVEL_OF_ROLE.get(r, 99) >= top]
