from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gongjian.core import pii
from gongjian.core.errors import NotFound
from gongjian.core.scope import forget_scopes
from gongjian.orgs import selectors, services
from gongjian.orgs.models import Member
from gongjian.testing import factories as f


def names(qs):
    return {m.name for m in qs}


def test_member_scope_by_org_region_home_unit_and_self(world):
    u = world.users
    assert names(selectors.member_list(actor=u["city_admin"])) == {"张伟", "李娜", "王强"}
    assert names(selectors.member_list(actor=u["district_admin"])) == {"张伟", "李娜"}
    assert names(selectors.member_list(actor=u["community_admin"])) == {"张伟"}
    # 王强 belongs to a 金水区 branch but works for unit_a: its liaison sees him, and only him
    assert names(selectors.member_list(actor=u["unit_liaison"])) == {"王强"}
    assert names(selectors.member_list(actor=u["member"])) == {"张伟"}
    for role in ("department_handler", "instructor", "reviewer", "resident", "nobody"):
        assert names(selectors.member_list(actor=u[role])) == set(), role


def test_member_seen_where_he_lives(world):
    # a member of a 金水区 branch living in 淮河社区 is seen by 淮河社区's admin
    m = f.member(world.org_b1, name="跨区居住", home=world.tree.comm_a1)
    assert m.name in names(selectors.member_list(actor=world.users["community_admin"]))


def test_member_get_outside_scope_is_not_found(world):
    with pytest.raises(NotFound):
        selectors.member_get(actor=world.users["community_admin"], id=world.m_b1.pk)
    with pytest.raises(NotFound):
        selectors.member_get(actor=world.users["member"], id=world.m_a2.pk)
    with pytest.raises(NotFound):
        selectors.member_get(actor=world.users["community_admin"], id="abc")
    assert selectors.member_get(actor=world.users["member"], id=world.m_a1.pk) == world.m_a1


def test_member_search_by_name_id_number_and_phone(world):
    admin = world.users["city_admin"]
    assert names(selectors.member_list(actor=admin, filters={"q": "张"})) == {"张伟"}
    idn = pii.decrypt(world.m_a2.id_number_enc)
    assert names(selectors.member_list(actor=admin, filters={"q": idn.lower()})) == {"李娜"}
    assert names(selectors.member_list(actor=admin, filters={"q": "138 0000 1111"})) == {"张伟"}
    # a full ID number outside the scope finds nothing
    assert names(selectors.member_list(actor=world.users["community_admin"], filters={"q": idn})) == set()
    # partial numbers are not a way to probe the hash
    assert names(selectors.member_list(actor=admin, filters={"q": idn[:10]})) == set()


def test_member_filters(world):
    admin = world.users["city_admin"]
    assert names(selectors.member_list(actor=admin, filters={"org": world.org_a1.pk})) == {"张伟"}
    assert names(selectors.member_list(actor=admin, filters={"org": world.committee_a.pk, "subtree": "1"})) == {"张伟", "李娜"}
    assert names(selectors.member_list(actor=admin, filters={"in_service": "1"})) == {"王强"}
    assert names(selectors.member_list(actor=admin, filters={"in_service": "0"})) == {"张伟", "李娜"}
    assert names(selectors.member_list(actor=admin, filters={"home": world.tree.comm_a2.pk})) == {"李娜"}
    assert names(selectors.member_list(actor=admin, filters={"employer": world.unit_a.pk})) == {"王强"}
    Member.objects.filter(pk=world.m_a2.pk).update(status="probationary")
    assert names(selectors.member_list(actor=admin, filters={"status": "probationary"})) == {"李娜"}
    services.member_deactivate(actor=admin, member=world.m_a2, status="transferred_out")
    assert names(selectors.member_list(actor=admin)) == {"张伟", "王强"}
    assert names(selectors.member_list(actor=admin, filters={"active": "0"})) == {"李娜"}
    assert names(selectors.member_list(actor=admin, filters={"active": "all"})) == {"张伟", "李娜", "王强"}
    ordered = [m.name for m in selectors.member_list(actor=admin, filters={"order": "-name", "active": "all"})]
    assert ordered == sorted(ordered, reverse=True)


@pytest.mark.parametrize("size", [20, 100])
def test_member_list_page_has_fixed_queries(world, client, django_assert_num_queries, size):
    for i in range(120):
        f.member(world.org_a1, name=f"批量{i:03d}", home=world.tree.comm_a2, employer=world.unit_a, in_service=True)
    admin = world.users["district_admin"]
    forget_scopes(admin)
    from django.core.paginator import Paginator

    # scope rows (1) + count (1) + the page's ids (1) + the page's rows with org, unit and community joined (1)
    with django_assert_num_queries(4):
        page = Paginator(selectors.member_ids(selectors.member_list(actor=admin, filters={"q": "批量"})), size).page(1)
        rows: list[Any] = selectors.member_rows(list(page.object_list))
        assert len(rows) == size
        assert [(m.org.name, m.employer_unit.name, m.home_community.name, m.id_masked) for m in rows]
        assert page.paginator.count == 120


def test_org_tree_and_unit_list(world):
    rows: list[Any] = selectors.org_tree(actor=world.users["subdistrict_admin"])
    assert rows[0].name == "淮河路街道党工委"
    assert rows[0].depth == 0 and all(r.depth == 1 for r in rows[1:])
    assert {r.name for r in selectors.org_list(actor=world.users["community_admin"])} == {"淮河社区第一党支部"}
    assert {r.name for r in selectors.org_list(actor=world.users["city_admin"], filters={"rank": "working_committee"})} == {"淮河路街道党工委"}
    with pytest.raises(NotFound):
        selectors.org_get(actor=world.users["community_admin"], id=world.org_b1.pk)
    assert {u.name for u in selectors.unit_list(actor=world.users["unit_liaison"])} == {"二七区某机关"}
    assert {u.name for u in selectors.unit_list(actor=world.users["city_admin"], filters={"q": world.unit_b.uscc.lower()})} == {"省供销合作总社"}
    units: Any = selectors.unit_list(actor=world.users["city_admin"], filters={"q": "机关"})
    assert [(u.name, u.member_count) for u in units] == [("二七区某机关", 1)]
    with pytest.raises(NotFound):
        selectors.unit_get(actor=world.users["community_admin"], id=world.unit_b.pk)


def _policy(admin, region, title, body, issued=dt.date(2024, 1, 1), level="district"):
    return services.policy_create(actor=admin, title=title, body=body, level=level, issuer="区委组织部", issued_on=issued, region=region)


def test_policy_search_ranks_title_matches_and_filters(world, django_assert_max_num_queries):
    admin = world.users["district_admin"]
    r = world.tree.erqi
    body_only = _policy(admin, r, "关于做好年度工作的通知", "各街道要加强社区党群服务中心建设，服务中心面积不少于五百平方米。")
    title = _policy(admin, r, "党群服务中心建设标准", "规定了建设要求。", issued=dt.date(2023, 5, 1))
    _policy(admin, r, "驻区单位双报到办法", "在职党员到社区报到。", level="city")
    res: list[Any] = list(selectors.policy_search(actor=admin, filters={"q": "服务中心"}))
    assert [p.pk for p in res] == [title.pk, body_only.pk]
    assert res[0].score > res[1].score > 0
    assert [p.pk for p in selectors.policy_search(actor=admin, filters={"q": "服务中心", "year": "2023"})] == [title.pk]
    assert [p.title for p in selectors.policy_search(actor=admin, filters={"q": "报到", "level": "city"})] == ["驻区单位双报到办法"]
    assert list(selectors.policy_search(actor=admin, filters={"q": "不存在的词语组合"})) == []
    # every role may read the library; the list without words is newest first
    newest_first = [p.pk for p in selectors.policy_search(actor=world.users["resident"], filters={})]
    assert len(newest_first) == 3 and newest_first[-1] == title.pk
    assert list(selectors.policy_search(actor=world.users["nobody"], filters={"q": "服务"})) == []
    services.policy_deactivate(actor=admin, policy=title)
    assert [p.pk for p in selectors.policy_search(actor=admin, filters={"q": "服务中心"})] == [body_only.pk]
    from django.core.paginator import Paginator

    with django_assert_max_num_queries(4):
        page = Paginator(selectors.policy_search(actor=admin, filters={"q": "社区 报到", "active": "all"}), 20).page(1)
        assert len(list(page.object_list)) == 2


def test_snippet_marks_first_match():
    before, match, _after = selectors.snippet("一二三四五党群服务中心六七八", "服务中心")
    assert match in ("服务中心", "服务", "中心") and before.endswith("党群")
