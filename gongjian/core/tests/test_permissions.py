"""Core's permission matrix (house rule 7): the audit log and the figures page, role × action × in/out of scope.

Every rule core registers has a row here; a role without one is refused (404, like a record outside the scope)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.core import audit
from gongjian.core.manifest import AUDIT_VIEW, FIGURES_VIEW, RULES
from gongjian.core.permissions import can
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

# role -> the region its account works in (None: a role without a region scope)
ROLES: dict[str, str | None] = {
    Role.CITY_ADMIN: "city", Role.DISTRICT_ADMIN: "erqi", Role.SUBDISTRICT_ADMIN: "sub_a", Role.COMMUNITY_ADMIN: "comm_a1",
    Role.UNIT_LIAISON: None, Role.MEMBER: "comm_a1", Role.DEPARTMENT_HANDLER: None, Role.RESIDENT: "comm_a1",
}
MATRIX = {
    AUDIT_VIEW: {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN},
    FIGURES_VIEW: {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN},
}


def test_the_matrix_covers_every_rule_core_registers() -> None:
    assert set(MATRIX) == set(RULES)
    for action, roles in MATRIX.items():
        assert {str(r) for r in roles} == set(RULES[action])


def _account(tree, role: str):
    place = ROLES[role]
    if role == Role.UNIT_LIAISON:
        return factories.user(role, unit=factories.unit(tree.comm_a1))
    if role == Role.DEPARTMENT_HANDLER:
        return factories.user(role, department=tree.dept_erqi)
    assert place is not None
    return factories.user(role, region=getattr(tree, place))


@pytest.mark.parametrize("role", list(ROLES))
def test_audit_log_in_and_out_of_scope(client, tree, role: str) -> None:
    inside = audit.record(actor=None, verb="test.inside", target=tree.comm_a1)  # 淮河社区, in every regional scope above
    outside = audit.record(actor=None, verb="test.outside", target=tree.comm_b1)  # 金水区: outside all of them but the city's
    account = _account(tree, role)
    client.force_login(account)
    r = client.get(reverse("core:audit_list"))
    if role not in MATRIX[AUDIT_VIEW]:
        assert not can(account, AUDIT_VIEW) and r.status_code == 403
        return
    assert r.status_code == 200
    ids = {e.pk for e in r.context["page"].object_list}
    if role in (Role.SUBDISTRICT_ADMIN, Role.DISTRICT_ADMIN):
        assert inside.pk in ids and outside.pk not in ids
    else:
        assert {inside.pk, outside.pk} <= ids


@pytest.mark.parametrize("role", list(ROLES))
def test_figures_page_in_and_out_of_scope(client, tree, role: str) -> None:
    account = _account(tree, role)
    client.force_login(account)
    url = reverse("core:figures")
    own = client.get(url)
    if role not in MATRIX[FIGURES_VIEW]:
        assert not can(account, FIGURES_VIEW) and own.status_code == 404
        return
    assert own.status_code == 200
    assert client.get(url, {"region": tree.comm_a1.code}).status_code == 200  # in every allowed scope
    other = client.get(url, {"region": tree.comm_b1.code})  # 金水区's community: only the city's
    assert other.status_code == (200 if role == Role.CITY_ADMIN else 404)
