"""The permission matrix: every role × action, on a record inside and outside the actor's scope.

✓ = allowed, ✗ = refused (PermissionDenied or NotFound; outside the scope it is always NotFound
for those who may act somewhere). ``None`` = no out-of-scope record exists for that role.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.permissions import can
from gongjian.orgs import permissions as perms
from gongjian.orgs import selectors, services
from gongjian.orgs.models import Policy
from gongjian.testing import factories as f

ROLES = ["city_admin", "district_admin", "subdistrict_admin", "community_admin", "unit_liaison", "member",
         "department_handler", "instructor", "reviewer", "resident", "nobody"]

# targets: (in-scope, out-of-scope) member / org / unit per role
MEMBER_TARGETS = {
    "city_admin": ("m_a1", None), "district_admin": ("m_a1", "m_b1"), "subdistrict_admin": ("m_a1", "m_b1"),
    "community_admin": ("m_a1", "m_a2"), "unit_liaison": ("m_b1", "m_a1"), "member": ("m_a1", "m_a2"),
}
ORG_TARGETS = {
    "city_admin": ("org_a1", None), "district_admin": ("org_a1", "org_b1"), "subdistrict_admin": ("org_a1", "org_b1"),
    "community_admin": ("org_a1", "org_a2"), "unit_liaison": ("unit_org", "org_a1"), "instructor": ("org_a1", "org_b1"),
}
UNIT_TARGETS = {
    "city_admin": ("unit_a", None), "district_admin": ("unit_a", "unit_b"), "subdistrict_admin": ("unit_a", "unit_b"),
    "community_admin": ("unit_a", "unit_b"), "unit_liaison": ("unit_a", "unit_b"), "instructor": ("unit_a", "unit_b"),
}

Y, N = True, False
# role: {action: allowed-in-scope}
MATRIX: dict[str, dict[str, bool]] = {
    "city_admin":         {"member_view": Y, "member_manage": Y, "member_reveal": N, "org_view": Y, "org_manage": Y, "unit_view": Y, "unit_manage": Y, "policy_view": Y, "policy_manage": Y},  # noqa: E501
    "district_admin":     {"member_view": Y, "member_manage": Y, "member_reveal": N, "org_view": Y, "org_manage": Y, "unit_view": Y, "unit_manage": Y, "policy_view": Y, "policy_manage": Y},  # noqa: E501
    "subdistrict_admin":  {"member_view": Y, "member_manage": Y, "member_reveal": Y, "org_view": Y, "org_manage": Y, "unit_view": Y, "unit_manage": Y, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "community_admin":    {"member_view": Y, "member_manage": Y, "member_reveal": Y, "org_view": Y, "org_manage": Y, "unit_view": Y, "unit_manage": Y, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "unit_liaison":       {"member_view": Y, "member_manage": N, "member_reveal": N, "org_view": Y, "org_manage": N, "unit_view": Y, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "member":             {"member_view": Y, "member_manage": N, "member_reveal": N, "org_view": N, "org_manage": N, "unit_view": N, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "department_handler": {"member_view": N, "member_manage": N, "member_reveal": N, "org_view": N, "org_manage": N, "unit_view": N, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "instructor":         {"member_view": N, "member_manage": N, "member_reveal": N, "org_view": Y, "org_manage": N, "unit_view": Y, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "reviewer":           {"member_view": N, "member_manage": N, "member_reveal": N, "org_view": N, "org_manage": N, "unit_view": N, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "resident":           {"member_view": N, "member_manage": N, "member_reveal": N, "org_view": N, "org_manage": N, "unit_view": N, "unit_manage": N, "policy_view": Y, "policy_manage": N},  # noqa: E501
    "nobody":             {"member_view": N, "member_manage": N, "member_reveal": N, "org_view": N, "org_manage": N, "unit_view": N, "unit_manage": N, "policy_view": N, "policy_manage": N},  # noqa: E501
}


def _attempt(fn: Any) -> bool:
    try:
        fn()
    except (NotFound, PermissionDenied):
        return False
    return True


def _targets(world: Any, table: dict[str, tuple[str, str | None]], role: str, default: tuple[str, str | None]) -> tuple[Any, Any]:
    names = table.get(role, default)
    return getattr(world, names[0]), (getattr(world, names[1]) if names[1] else None)


def _run(world: Any, action: str, actor: Any, target: Any) -> bool:
    if action == "member_view":
        return _attempt(lambda: selectors.member_get(actor=actor, id=target.pk))
    if action == "member_manage":
        return _attempt(lambda: services.member_update(actor=actor, member=target, name=target.name + "x"))
    if action == "member_reveal":
        return _attempt(lambda: services.member_reveal(actor=actor, member=target))
    if action == "org_view":
        return _attempt(lambda: selectors.org_get(actor=actor, id=target.pk))
    if action == "org_manage":
        return _attempt(lambda: services.party_org_update(actor=actor, org=target, name=target.name + "x"))
    if action == "unit_view":
        return _attempt(lambda: selectors.unit_get(actor=actor, id=target.pk))
    if action == "unit_manage":
        return _attempt(lambda: services.resident_unit_update(actor=actor, unit=target, name=target.name + "x"))
    if action == "policy_view":
        return _attempt(lambda: selectors.policy_get(actor=actor, id=target.pk))
    if action == "policy_manage":
        return _attempt(lambda: services.policy_update(actor=actor, policy=target, title=target.title + "x"))
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX["city_admin"]))
def test_matrix(world, role, action):
    world.unit_org = f.party_org(world.tree.comm_a1, "机关党支部", unit=world.unit_a, sector="organ")
    world.policy_erqi = Policy.objects.create(title="二七区文件", level="district", issuer="二七区委", issued_on=dt.date(2024, 1, 1),
                                              body="正文", region=world.tree.erqi)
    world.policy_jinshui = Policy.objects.create(title="金水区文件", level="district", issuer="金水区委", issued_on=dt.date(2024, 1, 1),
                                                 body="正文", region=world.tree.jinshui)
    actor = world.users[role]
    if action.startswith("member"):
        inside, outside = _targets(world, MEMBER_TARGETS, role, ("m_a1", "m_b1"))
    elif action.startswith("org"):
        inside, outside = _targets(world, ORG_TARGETS, role, ("org_a1", "org_b1"))
    elif action.startswith("unit"):
        inside, outside = _targets(world, UNIT_TARGETS, role, ("unit_a", "unit_b"))
    else:
        inside = world.policy_erqi
        outside = None if role in ("city_admin",) else (world.policy_jinshui if action == "policy_manage" else None)
    expected = MATRIX[role][action]
    assert _run(world, action, actor, inside) is expected, f"{role} {action} in scope"
    if outside is not None:
        assert _run(world, action, actor, outside) is False, f"{role} {action} out of scope"


def test_every_registered_action_is_deny_by_default_for_unknown_roles(world):
    nobody = world.users["nobody"]
    for action in perms.RULES:
        assert not can(nobody, action)


def test_inactive_account_can_do_nothing(world):
    admin = world.users["community_admin"]
    admin.is_active = False
    admin.save()
    assert not can(admin, perms.MEMBER_VIEW)
    assert list(selectors.member_list(actor=admin)) == []


def test_validation_still_applies_to_allowed_roles(world):
    with pytest.raises(ValidationError):
        services.member_update(actor=world.users["community_admin"], member=world.m_a1, id_number="123")
