"""The member list's page keys: one query per scope branch joined with UNION ALL, same set as the plain scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.accounts.choices import Role
from gongjian.accounts.models import Scope
from gongjian.orgs import selectors, views
from gongjian.testing import factories as f


def _ids(actor, **filters):
    return [row[0] for row in selectors.member_page_ids(actor=actor, filters=filters)]


@pytest.mark.django_db
def test_union_matches_the_plain_scope_and_counts_each_member_once(tree):
    erqi_org, jinshui_org = f.party_org(tree.comm_a1), f.party_org(tree.comm_b1)
    both = f.member(erqi_org, name="两头都在", home=tree.comm_a2)  # org and home inside 二七区
    by_home = f.member(jinshui_org, name="住在二七", home=tree.comm_a1)  # org outside, home inside
    by_org = f.member(erqi_org, name="住在金水", home=tree.comm_b2)  # org inside, home outside
    outside = f.member(jinshui_org, name="都不在", home=tree.comm_b1)
    admin = f.user(Role.DISTRICT_ADMIN, region=tree.erqi)

    ids = _ids(admin)
    assert sorted(ids) == sorted([both.pk, by_home.pk, by_org.pk])
    assert len(ids) == len(set(ids))
    assert selectors.member_page_ids(actor=admin, filters={}).count() == 3
    plain = list(selectors.member_ids(selectors.member_list(actor=admin, filters={})))
    assert ids == plain  # same members, same order as the single-query list
    assert outside.pk not in ids
    assert _ids(admin, q="二七") == [by_home.pk]


@pytest.mark.django_db
def test_several_scopes_and_ordering_variants(tree):
    a, b = f.party_org(tree.comm_a1), f.party_org(tree.comm_b1)
    m1, m2, m3 = f.member(a, name="甲"), f.member(b, name="乙"), f.member(b, name="丙", home=tree.comm_a2)
    admin = f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    Scope.objects.create(user=admin, role=Role.COMMUNITY_ADMIN, kind="region", region=tree.comm_b1)
    for order in ("", "name", "-name", "join_date", "-created"):
        ids = _ids(admin, order=order)
        assert sorted(ids) == sorted([m1.pk, m2.pk, m3.pk]), order
        assert ids == list(selectors.member_ids(selectors.member_list(actor=admin, filters={"order": order}))), order


@pytest.mark.django_db
def test_nothing_for_an_actor_without_the_right_and_one_query_per_page(tree):
    org = f.party_org(tree.comm_a1)
    for _ in range(3):
        f.member(org)
    nobody = f.user(Role.REVIEWER, region=tree.city)
    assert _ids(nobody) == []
    admin = f.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    qs = selectors.member_page_ids(actor=admin, filters={})
    with CaptureQueriesContext(connection) as ctx:
        assert len(list(qs[:2])) == 2
    assert len(ctx.captured_queries) <= 2  # the actor's scope rows (cached afterwards) and the page


@pytest.mark.django_db
def test_many_organisations_filter_by_name_instead_of_a_drop_down(client, tree, monkeypatch):
    monkeypatch.setattr(views, "ORG_SELECT_LIMIT", 1)
    first, second = f.party_org(tree.comm_a1, name="淮河社区第一党支部"), f.party_org(tree.comm_a1, name="淮河社区老干部党支部")
    m1, m2 = f.member(first, name="赵一"), f.member(second, name="钱二")
    client.force_login(f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1))
    html = client.get("/orgs/members/").content.decode()
    assert 'name="org_name"' in html and '<select class="form-select" name="org"' not in html
    html = client.get("/orgs/members/", {"org_name": "老干部"}).content.decode()
    assert m2.name in html and m1.name not in html
    html = client.get("/orgs/members/", {"org": first.pk}).content.decode()
    assert 'id="chosen-org"' in html and first.name in html and m1.name in html and m2.name not in html
    other = f.party_org(tree.comm_b1, name="外区党支部")
    html = client.get("/orgs/members/", {"org": other.pk}).content.decode()
    assert "外区党支部" not in html  # an organisation outside the area is neither named nor listed
