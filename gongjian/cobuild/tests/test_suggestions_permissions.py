"""Permission matrix of the suggestions part: role × action × in/out of scope, through the services and selectors.

Actions: seeing a need's suggestions (``cobuild.suggest_view``), deciding them — reject, undo, accept
(``cobuild.suggest_decide``; accepting proposes a project) — and the matching board (``cobuild.match_board``).
The need in scope is in 淮河社区 (二七区 › 淮河路街道), the one out of scope in 省供销社社区 (金水区 › 花园路街道), each with a
resource of a unit of its own community;
the board is asked for 淮河路街道 (in scope) and 花园路街道. A refused attempt writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from gongjian.cobuild.choices import MatchVerdict
from gongjian.cobuild.models import MatchDecision, Project
from gongjian.cobuild.suggestions import index as idx
from gongjian.cobuild.suggestions import selectors as sel
from gongjian.cobuild.suggestions import services as ssvc
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import can

from .test_suggestions_services import need, res

OK, NF = "ok", "404"

# role → (the need of 淮河社区, the need of 省供销社社区, board of 淮河路街道, board of 花园路街道)
MATRIX: dict[str, tuple[str, str, str, str]] = {
    "city_admin": (OK, OK, OK, OK),
    "district_admin": (OK, NF, OK, NF),  # 二七区
    "subdistrict_admin": (OK, NF, OK, NF),  # 淮河路街道
    "community_admin": (OK, NF, NF, NF),  # 淮河社区: suggestions for its needs, no board
    "community_admin_b": (NF, OK, NF, NF),  # 省供销社社区
    "unit_liaison": (NF, NF, NF, NF),
    "unit_liaison_b": (NF, NF, NF, NF),
    "resident": (NF, NF, NF, NF),
    "member": (NF, NF, NF, NF),
    "instructor": (NF, NF, NF, NF),
    "nobody": (NF, NF, NF, NF),
}

ADMINS = {"city_admin", "district_admin", "subdistrict_admin", "community_admin", "community_admin_b"}
BOARD = {"city_admin", "district_admin", "subdistrict_admin"}


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    idx.forget()
    yield
    idx.forget()


@pytest.mark.parametrize("role", MATRIX)
def test_rules_deny_by_default(world, role):
    user = world.users[role]
    assert can(user, "cobuild.suggest_view") == (role in ADMINS)
    assert can(user, "cobuild.suggest_decide") == (role in ADMINS)
    assert can(user, "cobuild.match_board") == (role in BOARD)


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("where", ["in", "out"])
def test_suggestions_and_decisions(world, role, where):
    """See, reject, undo and accept on a need: allowed in scope, "not found" outside it or without the role."""
    n = need(world, community=world.tree.comm_a1 if where == "in" else world.tree.comm_b1)
    r = res(world, unit=world.unit_a if where == "in" else world.unit_b)  # a resource of the need's own community
    user = world.users[role]
    expected = MATRIX[role][0 if where == "in" else 1]
    if expected == OK:
        assert sel.need_for_matching(actor=user, id=n.pk) == n
        if where == "in":  # the resource's unit is in 淮河社区 too: it is suggested
            assert r.pk in [row.resource.pk for row in sel.suggestions_for_need(actor=user, need=n)]
        d = ssvc.match_reject(actor=user, need=n, resource=r.pk, reason="不合适")
        assert d.verdict == MatchVerdict.REJECTED
        ssvc.match_unreject(actor=user, need=n, resource=r.pk)
        assert not MatchDecision.objects.exists()
        d = ssvc.match_accept(actor=user, need=n, resource=r.pk, amount="1")
        assert d.verdict == MatchVerdict.ACCEPTED and d.project is not None
        assert Project.objects.filter(pk=d.project.pk, community=n.community).exists()
        return
    with pytest.raises(NotFound):
        sel.need_for_matching(actor=user, id=n.pk)
    if role not in ADMINS:
        assert sel.suggestions_for_need(actor=user, need=n) == []
    for attempt in (
        lambda: ssvc.match_reject(actor=user, need=n, resource=r.pk, reason="不合适"),
        lambda: ssvc.match_unreject(actor=user, need=n, resource=r.pk),
        lambda: ssvc.match_accept(actor=user, need=n, resource=r.pk, amount="1"),
    ):
        with pytest.raises((NotFound, PermissionDenied)) as caught:
            attempt()
        # with the role but outside the scope the need is not found; without the role, not allowed (the pages answer 404 too)
        assert isinstance(caught.value, NotFound) or role not in ADMINS
    assert not MatchDecision.objects.exists() and not Project.objects.exists()


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("where", ["in", "out"])
def test_matching_board(world, role, where):
    region = world.tree.sub_a if where == "in" else world.tree.sub_b
    user = world.users[role]
    expected = MATRIX[role][2 if where == "in" else 3]
    if expected == OK:
        assert sel.board_region(actor=user, region=region.pk) == region
        assert region in sel.board_regions(actor=user)
    else:
        with pytest.raises(NotFound):
            sel.board_region(actor=user, region=region.pk)
        assert region not in sel.board_regions(actor=user)
