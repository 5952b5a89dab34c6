"""The lists of a whole area stay cheap (issue #12): counts kept in the cache until a change, member counts of the page's
rows only, a member branch that holds nobody left out of the page's query, a fixed number of queries per page."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.core import fakes
from gongjian.orgs import selectors, services
from gongjian.testing import factories as f


def _queries(client: Any, path: str, **params: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path, params)
        assert resp.status_code == 200, (path, resp.status_code)
    return [q["sql"] for q in ctx.captured_queries]


def _counts(sqls: list[str]) -> list[str]:
    return [s for s in sqls if s.upper().startswith("SELECT COUNT(") and "orgs_" in s]


def _module(sqls: list[str]) -> list[str]:
    """The queries of the module's own tables (the first table read is one of orgs)."""
    return [s for s in sqls if s.partition(" FROM ")[2].startswith(('"orgs_', '(SELECT'))]


@pytest.fixture
def crowd(world: Any) -> Any:
    """Sixty members, organisations and units more in 淮河社区, so that a page is not the whole list."""
    for i in range(60):
        org = f.party_org(world.tree.comm_a1, f"第{i:02d}党支部", parent=world.committee_a)
        unit = f.unit(world.tree.comm_a1, f"第{i:02d}单位")
        f.member(org, name=f"成员{i:02d}", home=world.tree.comm_a1, employer=unit)
    return world


@pytest.mark.parametrize(("path", "size"), [("orgs:member_list", 20), ("orgs:org_list", 50), ("orgs:unit_list", 20)])
def test_list_pages_count_once_then_read_the_count_from_the_cache(crowd, client, path, size):
    client.force_login(crowd.users["district_admin"])
    first = _queries(client, reverse(path))
    assert _counts(first), first  # counted once
    again = _queries(client, reverse(path))
    assert not _counts(again), again  # then from the cache
    # the module's own queries: the frame's (the account's scope rows, the bell) are kept per request too since core.scope
    # and core.notify cache them, so a second request also skips those
    assert len(_module(again)) == len(_module(first)) - len(_counts(first))
    for other in (size, 100):  # the same queries whatever the page size
        assert len(_queries(client, reverse(path), size=other)) == len(again)


@pytest.mark.parametrize("path", ["/api/v1/orgs/members", "/api/v1/orgs/orgs", "/api/v1/orgs/units"])
def test_api_lists_count_once_and_have_a_fixed_number_of_queries(crowd, client, path, django_assert_max_num_queries):
    client.force_login(crowd.users["district_admin"])
    first = _queries(client, path)
    assert _counts(first)
    for size in (10, 50, 100):
        with django_assert_max_num_queries(len(first) - len(_counts(first))):
            assert client.get(path, {"size": size}).status_code == 200


def test_counts_move_with_every_change_made_through_the_services(crowd, client, django_capture_on_commit_callbacks):
    admin = crowd.users["district_admin"]
    client.force_login(admin)
    before = client.get("/api/v1/orgs/members").json()["count"]
    assert client.get("/api/v1/orgs/members").json()["count"] == before  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        m = services.member_create(actor=admin, name="新来的", id_number=f.new_id_number(), gender="male", org=crowd.org_a1)
    assert client.get("/api/v1/orgs/members").json()["count"] == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.member_deactivate(actor=admin, member=m, reason="测试")
    assert client.get("/api/v1/orgs/members").json()["count"] == before
    units = client.get("/api/v1/orgs/units").json()["count"]
    with django_capture_on_commit_callbacks(execute=True):
        services.resident_unit_create(actor=admin, name="新单位", uscc=fakes.uscc_code(random.Random(12), area_code="410103"), kind="organ",
                                      region=crowd.tree.comm_a1)
    assert client.get("/api/v1/orgs/units").json()["count"] == units + 1


def test_member_counts_of_organisations_and_units_are_those_of_the_page(crowd, client):
    client.force_login(crowd.users["district_admin"])
    page = client.get("/api/v1/orgs/orgs", {"size": 100}).json()["items"]
    by_name = {o["name"]: o["member_count"] for o in page}
    assert by_name["第07党支部"] == 1 and by_name["淮河社区第一党支部"] == 1 and by_name["淮河路街道党工委"] == 0
    units = {u["name"]: u["member_count"] for u in client.get("/api/v1/orgs/units", {"size": 100}).json()["items"]}
    assert units["第07单位"] == 1 and units["二七区某机关"] == 1  # 二七区某机关 employs 王强, who lives in another district
    sql = " ".join(_queries(client, "/orgs/"))
    assert "GROUP BY" not in sql.split("FROM", 1)[0]  # no aggregate over every organisation of the scope


def test_a_branch_that_reaches_nobody_is_left_out_of_the_page(crowd, client):
    city = crowd.users["city_admin"]  # reaches every member by organisation: the home branch holds nobody
    rows = selectors.member_page(actor=city, filters={})
    assert [r[0] for r in rows[0:100]] == [r[0] for r in selectors.member_page_ids(actor=city, filters={})[0:100]]
    client.force_login(city)
    sqls = _queries(client, reverse("orgs:member_list"))
    pages = [s for s in sqls if "orgs_member" in s and s not in _counts(sqls) and "LIMIT" in s]
    assert pages and not any("UNION" in s for s in pages), pages


@pytest.mark.parametrize("order", ["", "name", "-name", "-created"])
def test_pages_of_several_branches_are_those_of_the_plain_union(crowd, order):
    outside = f.party_org(crowd.tree.comm_b1, "外区党支部")
    for i in range(25):  # members of another district's organisation who live in 二七区: the home branch
        f.member(outside, name=f"外区{i:02d}", home=crowd.tree.comm_a2)
    admin = crowd.users["district_admin"]
    plain = [r[0] for r in selectors.member_page_ids(actor=admin, filters={"order": order})]
    rows = selectors.member_page(actor=admin, filters={"order": order})
    assert rows.count() == len(plain) == 60 + 2 + 25  # crowd + 张伟, 李娜 + the home branch (王强 lives elsewhere)
    paged: list[Any] = []
    for start in range(0, len(plain), 20):
        with CaptureQueriesContext(connection) as ctx:
            paged += [r[0] for r in rows[start : start + 20]]
        assert len(ctx.captured_queries) == 1
        if connection.features.supports_slicing_ordering_in_compound:  # PostgreSQL: each branch read up to the page's end
            assert ctx.captured_queries[0]["sql"].count("LIMIT") == 3
    assert paged == plain


def test_a_role_without_a_reach_sees_an_empty_page(world):
    nobody = f.user(Role.REVIEWER, region=world.tree.city)
    rows = selectors.member_page(actor=nobody, filters={})
    assert rows.count() == 0 and list(rows[0:20]) == []
