from __future__ import annotations

from typing import Any

import pytest

from gongjian.core.errors import NotFound
from gongjian.core.registry import Period, figure_value
from gongjian.regions import selectors, services
from gongjian.regions.models import Department, Office, Region, StaffQuota
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def test_region_get_is_scoped(tree, actors):
    assert selectors.region_get(actor=actors.sub_a, code=tree.comm_a1.code) == tree.comm_a1
    for actor, region in [
        (actors.sub_a, tree.sub_b),
        (actors.erqi, tree.jinshui),
        (actors.comm_a1, tree.comm_a2),
        (actors.erqi, tree.city),
        (actors.member, tree.comm_a1),
        (actors.resident, tree.comm_a1),
        (actors.nobody, tree.comm_a1),
    ]:
        with pytest.raises(NotFound):
            selectors.region_get(actor=actor, code=region.code)
    with pytest.raises(NotFound):
        selectors.region_get(actor=actors.city, code="999999")


def test_roots_children_counts_and_breadcrumbs(tree, actors):
    assert [r.code for r in selectors.region_roots(actor=actors.erqi)] == ["410103"]
    assert [r.code for r in selectors.region_roots(actor=actors.city)] == ["410100"]
    kids = list(selectors.region_children(actor=actors.city, region=tree.city))
    assert [k.code for k in kids] == ["410103", "410105"]
    rows: list[Any] = selectors.child_rows(region=tree.city, children=kids)
    assert [(r.subdistricts, r.communities, r.region.child_count) for r in rows] == [(1, 2, 1), (1, 2, 1)]
    services.region_deactivate(actor=actors.erqi, region=tree.comm_a2)
    rows = selectors.child_rows(region=tree.city, children=list(selectors.region_children(actor=actors.city, region=tree.city)))
    assert rows[0].communities == 1
    assert [c.code for c in selectors.breadcrumbs(actor=actors.sub_a, region=tree.comm_a1)] == ["410103001000", "410103001001"]
    assert [c.code for c in selectors.breadcrumbs(actor=actors.city, region=tree.comm_a1)] == ["410100", "410103", "410103001000", "410103001001"]


def test_children_query_count_is_fixed(tree, actors, django_assert_max_num_queries):
    sub = tree.sub_a
    for i in range(20, 60):
        factories.region(f"410103001{i:03d}", f"社区{i}", "community", sub)
    actor = actors.erqi
    selectors.region_get(actor=actor, code=sub.code)  # warm the actor's scope cache
    with django_assert_max_num_queries(2):
        kids = list(selectors.region_children(actor=actor, region=tree.erqi))
        selectors.child_rows(region=tree.erqi, children=kids)


def test_search_is_scoped_and_ranked(tree, actors):
    factories.region("410103001090", "淮河东社区", "community", tree.sub_a)
    res = list(selectors.region_search(actor=actors.erqi, q="淮河"))
    assert [r.name for r in res] == ["淮河路街道", "淮河社区", "淮河东社区", "路砦社区"]
    assert all(r.path.startswith(tree.erqi.path) for r in res)
    found = selectors.region_search(actor=actors.erqi, q="410103001001").first()
    assert found is not None and found.code == "410103001001"
    codes = [r.code for r in selectors.region_search(actor=actors.erqi, q="4101030010")]
    assert codes and all(c.startswith("4101030010") for c in codes)
    assert not list(selectors.region_search(actor=actors.erqi, q="花园路"))  # other district
    assert list(selectors.region_search(actor=actors.city, q="花园路"))
    assert not list(selectors.region_search(actor=actors.erqi, q=""))


def test_search_exact_code_first(tree, actors):
    first = selectors.region_search(actor=actors.city, q="410103").first()
    assert first is not None and first.code == "410103"


def test_departments_scoped(tree, actors, django_assert_max_num_queries):
    assert {d.name for d in selectors.department_list(actor=actors.city)} == {"二七区民政局", "金水区民政局"}
    assert [d.name for d in selectors.department_list(actor=actors.erqi)] == ["二七区民政局"]
    assert [d.name for d in selectors.department_list(actor=actors.handler)] == ["二七区民政局"]
    assert list(selectors.department_list(actor=actors.jinshui, q="二七")) == []
    for i in range(30):
        Department.objects.create(name=f"部门{i}", region=tree.erqi, region_path=tree.erqi.path)
    selectors.region_roots(actor=actors.erqi)
    with django_assert_max_num_queries(1):
        rows = list(selectors.department_list(actor=actors.erqi))
        _ = [d.region.name for d in rows]
    with pytest.raises(NotFound):
        selectors.department_get(actor=actors.erqi, pk=tree.dept_jinshui.pk)


def test_structure_and_quota_totals_query_count(tree, actors, django_assert_max_num_queries):
    services.structure_instantiate(actor=actors.sub_a, subdistrict=tree.sub_a)
    office = Office.objects.filter(subdistrict=tree.sub_a).first()
    for year in (2024, 2025):
        services.quota_create(actor=actors.sub_a, subdistrict=tree.sub_a, count=10, year=year, office=office)
    services.power_create(actor=actors.erqi, region=tree.erqi, name="综合执法指挥调度权")
    services.power_create(actor=actors.jinshui, region=tree.jinshui, name="金水区权力")
    with django_assert_max_num_queries(5):
        s = selectors.structure_get(actor=actors.sub_a, subdistrict=tree.sub_a)
    assert s.by_kind == {"office": 6, "centre": 3, "station": 1}
    assert s.totals["positions"] == 20 and s.templates_missing == 0
    assert [p.name for p in s.powers] == ["综合执法指挥调度权"]
    with django_assert_max_num_queries(2):
        totals = selectors.quota_totals(actor=actors.erqi, region=tree.erqi)
    assert totals == {"total": 20, "moved_down": 20, "by_year": {2024: 10, 2025: 10}}
    assert selectors.quota_totals(actor=actors.jinshui, region=tree.jinshui)["total"] == 0
    with pytest.raises(NotFound):
        selectors.structure_get(actor=actors.sub_a, subdistrict=tree.comm_a1)
    rows: list[Any] = list(selectors.subdistrict_list(actor=actors.city))
    assert {(r.code, r.office_count, r.quota_total) for r in rows} == {("410103001000", 10, 20), ("410105002000", 0, 0)}


def test_figures_move_with_records(tree, actors, django_capture_on_commit_callbacks):
    def do(fn, **kw):
        # The figure cache is bumped on commit, as in production.
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kw)

    year = Period.year(2025)
    assert figure_value("regions.subdistricts", tree.city) == 2
    assert figure_value("regions.communities", tree.erqi) == 2
    do(services.region_create, actor=actors.erqi, code="410103001077", name="新社区", level="community", parent=tree.sub_a)
    do(services.region_create, actor=actors.erqi, code="410103001078", name="某村", level="community", parent=tree.sub_a, kind="village")
    assert figure_value("regions.communities", tree.erqi) == 3
    assert figure_value("regions.villages", tree.city) == 1
    do(services.region_create, actor=actors.erqi, code="410103002000", name="新街道", level="subdistrict", parent=tree.erqi)
    assert figure_value("regions.subdistricts", tree.city) == 3

    assert figure_value("regions.staff_quotas", tree.city) == 0
    do(services.quota_create, actor=actors.sub_a, subdistrict=tree.sub_a, count=12, year=2025)
    do(services.quota_create, actor=actors.sub_a, subdistrict=tree.sub_a, count=3, year=2024)
    assert figure_value("regions.staff_quotas", tree.city) == 15
    assert figure_value("regions.staff_quotas", tree.erqi, year) == 12
    assert figure_value("regions.staff_quotas", tree.jinshui) == 0

    assert figure_value("regions.delegated_powers", tree.sub_a) == 0
    p = do(services.power_create, actor=actors.city, region=tree.city, name="城市管理权")
    do(services.power_create, actor=actors.erqi, region=tree.erqi, name="综合执法权")
    assert figure_value("regions.delegated_powers", tree.sub_a) == 2
    assert figure_value("regions.delegated_powers", tree.sub_b) == 1
    assert figure_value("regions.delegated_powers", tree.city) == 2
    do(services.power_deactivate, actor=actors.city, power=p)
    assert figure_value("regions.delegated_powers", tree.sub_a) == 1

    assert figure_value("regions.departments", tree.city) == 2
    do(services.department_create, actor=actors.erqi, region=tree.erqi, name="二七区房管局", kind="housing")
    assert figure_value("regions.departments", tree.city) == 3
    assert figure_value("regions.departments", tree.erqi) == 2
    do(services.department_deactivate, actor=actors.erqi, department=tree.dept_erqi)
    assert figure_value("regions.departments", tree.erqi) == 1
    assert Region.objects.count() == 12
    assert StaffQuota.objects.count() == 2


def test_roots_with_several_and_nested_scopes(tree):
    from gongjian.accounts.choices import Role
    from gongjian.accounts.models import Scope

    u = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    Scope.objects.create(user=u, role=Role.DISTRICT_ADMIN, kind="region", region=tree.jinshui)
    Scope.objects.create(user=u, role=Role.SUBDISTRICT_ADMIN, kind="region", region=tree.sub_a)  # inside 二七区
    assert [r.code for r in selectors.region_roots(actor=u)] == ["410103", "410105"]


def test_communities_in_area_follow_the_scope_for_the_action(tree, actors):
    from django.contrib.auth import get_user_model

    from gongjian.regions import permissions as P
    from gongjian.regions.selectors import communities_in_area

    def codes(actor, action=P.VIEW, **kw):
        return [r.code for r in communities_in_area(actor=actor, action=action, **kw)]

    # an administrator: the communities of his area (villages too), by path; a community admin his own
    village = factories.region("410103001201", "侯寨村", "community", tree.sub_a, kind="village")
    grid = factories.region("410103001001001", "一网格", "grid", tree.comm_a1)
    assert codes(actors.erqi) == ["410103001001", "410103001014", "410103001201"]
    assert codes(actors.sub_a) == codes(actors.erqi)
    assert codes(actors.comm_a1) == ["410103001001"]
    assert codes(actors.city) == ["410103001001", "410103001014", "410103001201", "410105002003", "410105002012"]
    assert grid.code not in codes(actors.city)
    # the scope is the action's: a subdistrict admin manages no tree, a district admin of another district sees his own
    assert codes(actors.sub_a, P.MANAGE) == []
    assert codes(actors.erqi, P.MANAGE) == codes(actors.erqi)
    assert codes(actors.jinshui) == ["410105002003", "410105002012"]
    # no area: a member, a resident, an account without a scope, a department handler (his scope is a department)
    for actor in (actors.member, actors.resident, actors.nobody, actors.handler):
        assert codes(actor) == []
    # a superuser: every community
    root = get_user_model().objects.create_superuser(username="root-c", password=factories.PASSWORD)
    assert len(codes(root)) == 5
    # deactivated communities only when asked for
    Region.objects.filter(pk=village.pk).update(is_active=False)
    assert village.code not in codes(actors.erqi)
    assert codes(actors.erqi, active_only=False)[-1] == village.code
