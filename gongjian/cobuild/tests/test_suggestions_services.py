"""Matching in the running app: which resources are suggested, accept/reject/undo, the board, the index cache."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from gongjian.cobuild import services
from gongjian.cobuild.choices import MatchVerdict, NeedStatus, ProjectStatus
from gongjian.cobuild.models import MatchDecision, Need, Project, Resource
from gongjian.cobuild.suggestions import index as idx
from gongjian.cobuild.suggestions import selectors as sel
from gongjian.cobuild.suggestions import services as ssvc
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs.models import ResidentUnit
from gongjian.testing import factories as f


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    idx.forget()
    yield
    idx.forget()


def need(world: Any, title: str = "独居老人助餐", community: Any = None, publish: bool = True, **extra: Any) -> Need:
    actor = world.users["community_admin_b" if community is world.tree.comm_b1 else "city_admin"]
    return services.need_create(actor=actor, title=title, community=(community or world.tree.comm_a1).pk, publish=publish, **extra)


def res(world: Any, title: str = "长者食堂助餐服务", unit: Any = None, capacity: str | None = "10", capacity_unit: str = "people",
        offer: bool = True, **extra: Any) -> Resource:
    unit = unit or world.unit_a
    return services.resource_create(actor=world.users["city_admin"], unit=unit.pk, title=title, kind="service",
                                    description=extra.pop("description", "为社区老人提供午餐和送餐上门"), category=world.cat.pk,
                                    capacity=capacity or "", capacity_unit=capacity_unit if capacity else "", offer=offer, **extra)


def zh(exc: Exception) -> str:
    with translation.override("zh-hans"):
        return str(getattr(exc, "message", exc))


def ids(rows: list[Any]) -> list[int]:
    return [r.resource.pk for r in rows]


def test_suggestions_rank_serving_resources_with_chinese_reasons(world):
    admin = world.users["community_admin"]
    n = need(world, description="中午给独居老人送饭", category=world.cat.pk, quantity="5", quantity_unit="人")
    good = res(world)
    other = res(world, "法律咨询", description="律师解答法律问题", capacity="3", capacity_unit="hours")
    draft = res(world, "助餐服务（草稿）", offer=False)
    rows = sel.suggestions_for_need(actor=admin, need=n)
    assert ids(rows)[0] == good.pk and draft.pk not in ids(rows)
    assert other.pk not in ids(rows)[:1]
    top = rows[0]
    assert 0 < top.score <= 1 and top.rank == 1
    assert any(r.startswith("同类：助老") for r in top.reasons)
    assert "容量足够：剩余 10 人" in top.reasons  # the capacity's unit, not the unit's name glued to the number
    assert not any(world.unit_a.name in r for r in top.reasons)
    assert top.default_amount == Decimal("5.00")


def test_only_resources_that_serve_the_community_and_are_within_reach(world):
    n = need(world)
    inside = res(world)  # unit located in 淮河社区, no service regions: serves its district
    far_unit = res(world, unit=world.unit_b)  # 金水区 unit, no service regions, no radius: not for 二七区
    serving = res(world, "助餐志愿服务", unit=world.unit_b, service_regions=[world.tree.erqi.pk])  # serves 二七区 by region
    elsewhere = res(world, "助餐", unit=world.unit_a, service_regions=[world.tree.comm_a2.pk])  # serves only 路砦社区
    city = sel.suggestions_for_need(actor=world.users["city_admin"], need=n)
    assert set(ids(city)) == {inside.pk, serving.pk}
    assert far_unit.pk not in ids(city) and elsewhere.pk not in ids(city)
    # the community admin sees resources of units located in his community and those serving it
    assert set(ids(sel.suggestions_for_need(actor=world.users["community_admin"], need=n))) == {inside.pk, serving.pk}
    # radius: a 金水区 unit with coordinates serves a need within its radius
    ResidentUnit.objects.filter(pk=world.unit_b.pk).update(lat="34.745", lng="113.640")
    near = need(world, "老人助餐", lat="34.7421", lng="113.6380")
    radius = res(world, "助餐点", unit=world.unit_b, radius_km="5")
    small = res(world, "助餐点二", unit=world.unit_b, radius_km="0.1")
    got = ids(sel.suggestions_for_need(actor=world.users["city_admin"], need=near))
    assert radius.pk in got and small.pk not in got


def test_draft_and_taken_needs_get_no_suggestions(world):
    res(world)
    draft = need(world, publish=False)
    assert sel.suggestions_for_need(actor=world.users["community_admin"], need=draft) == []
    with pytest.raises(NotFound):
        sel.need_for_matching(actor=world.users["community_admin_b"], id=draft.pk)
    with pytest.raises(NotFound):
        sel.need_for_matching(actor=world.users["unit_liaison"], id=draft.pk)


def test_accept_creates_a_project_and_remembers_the_decision(world):
    admin = world.users["community_admin"]
    n = need(world, quantity="4", quantity_unit="人")
    r = res(world)
    d = ssvc.match_accept(actor=admin, need=n, resource=r.pk, amount="4")
    assert d.verdict == MatchVerdict.ACCEPTED and d.decided_by == admin and d.score and d.score > 0
    p = d.project
    assert p is not None and p.status == ProjectStatus.PROPOSED and p.unit_id == world.unit_a.pk and p.community_id == n.community_id
    assert p.title == n.title
    r.refresh_from_db()
    n.refresh_from_db()
    assert r.remaining == Decimal("6.00") and n.status == NeedStatus.IN_PROJECT
    ev = AuditEvent.objects.get(verb="cobuild.match.accept")
    assert ev.changes["project"] == p.pk and ev.changes["amount"] == "4.00" and ev.region_path == n.region_path
    with pytest.raises(TransitionError) as exc:  # the need is in a project now
        ssvc.match_accept(actor=admin, need=n, resource=r.pk, amount="1")
    assert "已发布" in zh(exc.value)
    # the suggestions of another need see the remaining capacity (index patched, not rebuilt)
    builds = idx.stats()["builds"]
    n2 = need(world, "老人助餐", quantity="8", quantity_unit="人")
    [row] = sel.suggestions_for_need(actor=admin, need=n2)
    assert "容量不足：需 8 人，剩余 6 人" in row.reasons and row.default_amount == Decimal("6.00")
    assert idx.stats()["builds"] == builds
    # cancelling the project lets the pair be suggested and accepted again
    services.project_cancel(actor=admin, project=p, reason="单位临时有事")
    n.refresh_from_db()
    assert r.pk in ids(sel.suggestions_for_need(actor=admin, need=n))
    again = ssvc.match_accept(actor=admin, need=n, resource=r, amount="2")
    assert again.pk == d.pk and again.project_id != p.pk


def test_accept_refuses_with_clear_errors_and_writes_nothing(world):
    admin = world.users["community_admin"]
    n = need(world)
    r = res(world, capacity="3")
    before = (Project.objects.count(), MatchDecision.objects.count(), AuditEvent.objects.count())
    for bad, word in (("", "数量"), ("abc", "数字"), ("-1", "大于零"), ("0", "大于零"), ("1e400", "数字")):
        with pytest.raises(ValidationError) as exc:
            ssvc.match_accept(actor=admin, need=n, resource=r, amount=bad)
        assert word in zh(exc.value) or word in str(exc.value.details), (bad, zh(exc.value))
    with pytest.raises(ssvc.CapacityExhausted) as cap:
        ssvc.match_accept(actor=admin, need=n, resource=r, amount="5")
    assert cap.value.status == 409 and "3" in zh(cap.value) and "5" in zh(cap.value) and "人" in zh(cap.value)
    with pytest.raises(ValidationError):
        ssvc.match_accept(actor=admin, need=n, resource=r, amount="1", title="x" * 121)
    with pytest.raises(ValidationError):
        ssvc.match_accept(actor=admin, need=n, resource=r, amount="1", title="a\x00b")
    services.resource_pause(actor=world.users["unit_liaison"], resource=r)
    with pytest.raises(Conflict) as off:
        ssvc.match_accept(actor=admin, need=n, resource=r, amount="1")
    assert off.value.code == "resource_not_offered" and "不再提供" in zh(off.value)
    other = res(world, unit=world.unit_b)  # a 金水区 unit the 淮河社区 admin cannot reach
    with pytest.raises(NotFound):
        ssvc.match_accept(actor=admin, need=n, resource=other, amount="1")
    with pytest.raises(NotFound):
        ssvc.match_accept(actor=world.users["community_admin_b"], need=n, resource=r, amount="1")
    with pytest.raises(PermissionDenied):
        ssvc.match_accept(actor=world.users["unit_liaison"], need=n, resource=r, amount="1")
    with pytest.raises(NotFound):
        ssvc.match_accept(actor=admin, need=10**12, resource=r, amount="1")
    assert (Project.objects.count(), MatchDecision.objects.count(), AuditEvent.objects.count()) == (
        before[0], before[1], before[2] + 3)  # only the liaison's pause and the other resource (create, offer) were written


def test_reject_is_remembered_and_can_be_undone(world):
    admin = world.users["community_admin"]
    n = need(world)
    r1, r2 = res(world), res(world, "老年餐桌", description="社区老年餐桌送餐")
    assert set(ids(sel.suggestions_for_need(actor=admin, need=n))) == {r1.pk, r2.pk}
    with pytest.raises(ValidationError) as exc:
        ssvc.match_reject(actor=admin, need=n, resource=r1, reason="  ")
    assert "原因" in zh(exc.value)
    d = ssvc.match_reject(actor=admin, need=n, resource=r1, reason="单位距离太远")
    assert d.verdict == MatchVerdict.REJECTED and d.reason == "单位距离太远"
    assert ids(sel.suggestions_for_need(actor=admin, need=n)) == [r2.pk]
    assert list(sel.rejected_for_need(actor=admin, need=n)) == [d]
    with pytest.raises(Conflict):
        ssvc.match_reject(actor=admin, need=n, resource=r1, reason="再次")
    with pytest.raises(Conflict) as acc:
        ssvc.match_accept(actor=admin, need=n, resource=r1, amount="1")
    assert acc.value.code == "rejected"
    # another need still gets it
    assert r1.pk in ids(sel.suggestions_for_need(actor=admin, need=need(world, "老人吃饭")))
    with pytest.raises(NotFound):
        ssvc.match_unreject(actor=world.users["community_admin_b"], need=n, resource=r1)
    ssvc.match_unreject(actor=admin, need=n, resource=r1)
    assert set(ids(sel.suggestions_for_need(actor=admin, need=n))) == {r1.pk, r2.pk}
    with pytest.raises(NotFound):
        ssvc.match_unreject(actor=admin, need=n, resource=r1)
    assert list(AuditEvent.objects.filter(verb__startswith="cobuild.match.").order_by("id").values_list("verb", flat=True)) == [
        "cobuild.match.reject", "cobuild.match.unreject"]


def test_the_index_is_reused_patched_and_rebuilt(world):
    admin = world.users["community_admin"]
    n = need(world)
    r = res(world)
    sel.suggestions_for_need(actor=admin, need=n)
    first = idx.current_index()
    assert idx.current_index() is first  # nothing changed: same index
    services.resource_pause(actor=world.users["unit_liaison"], resource=r)
    paused = idx.current_index()
    assert paused.matcher.bm25 is first.matcher.bm25 and sel.suggestions_for_need(actor=admin, need=n) == []
    services.resource_offer(actor=world.users["unit_liaison"], resource=r)
    assert ids(sel.suggestions_for_need(actor=admin, need=n)) == [r.pk]
    services.resource_update(actor=world.users["unit_liaison"], resource=r, title="助餐服务（新）")
    rebuilt = idx.current_index()
    assert rebuilt.matcher.bm25 is not first.matcher.bm25
    assert rebuilt.matcher.resources[0].title == "助餐服务（新）"


def test_board_assigns_each_resource_once(world):
    sub = world.users["subdistrict_admin"]
    n1 = need(world, "老人助餐", description="独居老人午餐")
    n2 = need(world, "老人吃饭难", description="老人午餐送餐", community=world.tree.comm_a2)
    r = res(world)
    rows = sel.board(actor=sub, region=world.tree.sub_a)
    assert [row.need.pk for row in rows] == [n1.pk, n2.pk]
    proposed = [row.proposal.resource.pk for row in rows if row.proposal]
    assert proposed == [r.pk]  # one resource, promised once
    r2 = res(world, "老年餐桌", description="社区老年餐桌送餐")
    rows = sel.board(actor=sub, region=world.tree.sub_a)
    assert sorted(row.proposal.resource.pk for row in rows if row.proposal) == sorted([r.pk, r2.pk])
    assert sel.board_region(actor=sub, region="").pk == world.tree.sub_a.pk
    with pytest.raises(NotFound):
        sel.board_region(actor=sub, region=world.tree.sub_b.pk)
    with pytest.raises(NotFound):
        sel.board(actor=world.users["community_admin"], region=world.tree.sub_a)
    assert {x.pk for x in sel.board_regions(actor=world.users["district_admin"])} == {world.tree.erqi.pk, world.tree.sub_a.pk}


def test_a_city_without_resources(world):
    n = need(world)
    assert sel.suggestions_for_need(actor=world.users["city_admin"], need=n) == []
    assert [(row.need.pk, row.proposal) for row in sel.board(actor=world.users["city_admin"], region=world.tree.erqi)] == [(n.pk, None)]
    f.unit(world.tree.comm_a1)  # units change: the index is read again, still empty
    assert sel.suggestions_for_need(actor=world.users["city_admin"], need=n) == []


def test_board_shares_a_counted_capacity_only_while_it_lasts(world):
    sub = world.users["subdistrict_admin"]
    needs = [need(world, f"老人助餐{i}", description="独居老人午餐送餐", quantity="4", quantity_unit="人") for i in range(3)]
    r = res(world)  # 10 people: two needs of 4 fit, the third does not
    rows = sel.board(actor=sub, region=world.tree.sub_a)
    proposed = [row.proposal for row in rows if row.proposal]
    assert len(proposed) == 2 and {p.resource.pk for p in proposed} == {r.pk}
    assert all(p.default_amount == Decimal("4.00") for p in proposed)
    # a need without a quantity in the resource's unit takes the resource once, whole
    unknown = [need(world, f"老人吃饭{i}", description="独居老人午餐送餐") for i in range(2)]
    rows = sel.board(actor=sub, region=world.tree.sub_a)
    by_need = {row.need.pk: row.proposal for row in rows}
    assert sum(1 for n in [*needs, *unknown] if by_need[n.pk]) in (1, 2)
    taken = [p for p in (by_need[n.pk] for n in [*needs, *unknown]) if p]
    promised = sum(((p.default_amount or Decimal(10)) for p in taken), Decimal(0))
    assert promised <= Decimal(10)
