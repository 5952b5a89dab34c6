"""Co-building projects: the status machine, capacity commitment, cancellation, scope and the figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from gongjian.cobuild import selectors, services
from gongjian.cobuild.choices import NeedStatus, ProjectStatus
from gongjian.cobuild.models import Need, Project, ProjectNeed, ProjectResource, Resource
from gongjian.cobuild.projects import services as project_services
from gongjian.core import registry
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.core.permissions import can
from gongjian.core.registry import Period
from gongjian.testing.race import needs_postgres, race


def _need(world: Any, title: str = "楼道加装扶手", community: Any = None, publish: bool = True) -> Need:
    return services.need_create(actor=world.users["community_admin" if community is None else "community_admin_b"], title=title,
                                community=(community or world.tree.comm_a1).pk, publish=publish)


def _res(world: Any, capacity: str = "10", title: str = "志愿服务", offer: bool = True, **extra: Any) -> Resource:
    return services.resource_create(actor=world.users["unit_liaison"], unit=world.unit_a.pk, title=title, kind="volunteers",
                                    capacity=capacity, capacity_unit="hours", offer=offer, **extra)


def _project(world: Any, needs: list[Any], resources: list[tuple[Any, Any]], actor: str = "community_admin") -> Project:
    return services.project_create(actor=world.users[actor], title="适老化改造", community=world.tree.comm_a1, unit=world.unit_a,
                                   needs=needs, resources=resources, plan="分两批完成")


def _zh(exc: Exception) -> str:
    with translation.override("zh-hans"):
        return " ".join(str(m) for msgs in getattr(exc, "details", {}).values() for m in msgs) or str(exc)


def test_happy_path_to_rated(world):
    admin, liaison = world.users["community_admin"], world.users["unit_liaison"]
    n1, n2 = _need(world), _need(world, "独居老人探访")
    services.need_mark_matched(actor=admin, need=n2)
    r = _res(world)
    p = _project(world, [n1, n2.pk], [(r, "6")])
    assert p.status == ProjectStatus.PROPOSED and p.region_path == world.tree.comm_a1.path and p.proposed_by == admin
    assert set(Need.objects.values_list("status", flat=True)) == {NeedStatus.IN_PROJECT}
    r.refresh_from_db()
    assert r.remaining == Decimal("4.00") and r.capacity == Decimal("10.00")
    assert ProjectResource.objects.get(project=p).amount == Decimal("6.00")
    p = services.project_agree(actor=liaison, project=p.pk)
    assert p.status == ProjectStatus.AGREED and p.agreed_at is not None
    p = services.project_start(actor=liaison, project=p)
    assert p.status == ProjectStatus.IN_PROGRESS and p.started_at is not None
    with pytest.raises(ValidationError) as exc:
        services.project_complete(actor=liaison, project=p, outcome="  ")
    assert "outcome" in exc.value.details
    p = services.project_complete(actor=liaison, project=p, outcome="扶手已安装 12 处")
    assert p.status == ProjectStatus.DONE and p.done_at is not None and p.outcome == "扶手已安装 12 处"
    assert set(Need.objects.values_list("status", flat=True)) == {NeedStatus.MET}
    assert all(n.met_at for n in Need.objects.all())
    with pytest.raises(PermissionDenied):  # the rating is the community's
        services.project_rate(actor=liaison, project=p, rating=5)
    for bad in (0, 6, "x", None, "4.5"):
        with pytest.raises(ValidationError) as exc:
            services.project_rate(actor=admin, project=p, rating=bad)
        assert "评分" in _zh(exc.value) or "1" in _zh(exc.value)
    p = services.project_rate(actor=admin, project=p, rating="5", remark="居民很满意")
    assert (p.status, p.rating, p.rating_remark) == (ProjectStatus.RATED, 5, "居民很满意") and p.rated_at is not None
    r.refresh_from_db()
    assert r.remaining == Decimal("4.00")  # a finished project keeps what it used
    verbs = list(AuditEvent.objects.filter(verb__startswith="cobuild.project.").order_by("id").values_list("verb", flat=True))
    assert verbs == ["cobuild.project.create", "cobuild.project.agree", "cobuild.project.start", "cobuild.project.complete",
                     "cobuild.project.rate"]
    assert AuditEvent.objects.filter(verb="cobuild.resource.commit").count() == 1


def test_forbidden_transitions(world):
    admin = world.users["community_admin"]
    p = _project(world, [_need(world)], [])
    fn: Any
    for fn, kwargs in ((services.project_start, {}), (services.project_complete, {"outcome": "x"}),
                       (services.project_rate, {"rating": 3})):
        with pytest.raises(TransitionError) as exc:
            fn(actor=admin, project=p, **kwargs)
        with translation.override("zh-hans"):
            assert "项目" in str(exc.value) and "“" in str(exc.value)
    services.project_agree(actor=admin, project=p)
    with pytest.raises(TransitionError):
        services.project_agree(actor=admin, project=p)
    services.project_start(actor=admin, project=p)
    services.project_complete(actor=admin, project=p, outcome="完成")
    with pytest.raises(TransitionError):  # done is not cancellable
        services.project_cancel(actor=admin, project=p, reason="不做了")
    services.project_rate(actor=admin, project=p, rating=4)
    for fn, kwargs in ((services.project_cancel, {"reason": "x"}), (services.project_rate, {"rating": 3}),
                       (services.project_start, {})):
        with pytest.raises(TransitionError):
            fn(actor=admin, project=p, **kwargs)
    p.refresh_from_db()
    assert p.status == ProjectStatus.RATED and p.rating == 4
    q = _project(world, [_need(world, "二")], [])
    services.project_cancel(actor=admin, project=q, reason="居民意见变化")
    with pytest.raises(TransitionError):
        services.project_agree(actor=admin, project=q)


def test_capacity_refused_when_short_and_nothing_written(world):
    n = _need(world)
    r1, r2 = _res(world, "10"), _res(world, "3", title="活动经费")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        _project(world, [n], [(r1, "5"), (r2, "3.5")])
    msg = _zh(exc.value)
    assert "活动经费" in msg and "3" in msg and "3.5" in msg, msg
    assert not Project.objects.exists() and not ProjectResource.objects.exists() and not ProjectNeed.objects.exists()
    r1.refresh_from_db()
    r2.refresh_from_db()
    n.refresh_from_db()
    assert (r1.remaining, r2.remaining, n.status) == (Decimal("10.00"), Decimal("3.00"), NeedStatus.PUBLISHED)
    assert AuditEvent.objects.count() == events
    # exactly the remaining amount is fine
    _project(world, [n], [(r2, "3")])
    r2.refresh_from_db()
    assert r2.remaining == Decimal("0.00")


@pytest.mark.parametrize("case,field", [
    ("no_needs", "needs"), ("draft_need", "needs"), ("other_community_need", "needs"), ("zero_amount", "resources"),
    ("negative_amount", "resources"), ("not_offered", "resources"), ("expired", "resources"), ("duplicate_resource", "resources"),
    ("no_title", "title"), ("not_community", "community"), ("out_of_area", "community"), ("no_unit", "unit"), ("bad_amount", "resources"),
])
def test_create_validation(world, case, field):
    admin = world.users["community_admin"]
    n = _need(world)
    r = _res(world)
    kw: dict[str, Any] = {"title": "项目", "community": world.tree.comm_a1, "unit": world.unit_a, "needs": [n], "resources": [(r, "1")]}
    if case == "no_needs":
        kw["needs"] = []
    elif case == "draft_need":
        kw["needs"] = [_need(world, "草稿", publish=False)]
    elif case == "other_community_need":
        kw["needs"] = [services.need_create(actor=world.users["district_admin"], title="路砦", community=world.tree.comm_a2.pk, publish=True)]
    elif case == "zero_amount":
        kw["resources"] = [(r, "0")]
    elif case == "negative_amount":
        kw["resources"] = [(r, "-2")]
    elif case == "bad_amount":
        kw["resources"] = [(r, "abc")]
    elif case == "not_offered":
        kw["resources"] = [(_res(world, offer=False), "1")]
    elif case == "expired":
        Resource.objects.filter(pk=r.pk).update(available_from=dt.date(2020, 1, 1), available_to=timezone.localdate() - dt.timedelta(days=1))
    elif case == "duplicate_resource":
        kw["resources"] = [(r, "1"), (r.pk, "2")]
    elif case == "no_title":
        kw["title"] = " "
    elif case == "not_community":
        kw["community"] = world.tree.sub_a
    elif case == "out_of_area":
        kw["community"] = world.tree.comm_b1
    elif case == "no_unit":
        kw["unit"] = None
    with pytest.raises(ValidationError) as exc:
        services.project_create(actor=admin, **kw)
    assert field in exc.value.details, exc.value.details
    assert _zh(exc.value).strip()
    assert not Project.objects.exists()
    r.refresh_from_db()
    assert r.remaining == Decimal("10.00")


def test_cancel_releases_capacity_and_republishes_needs(world):
    admin = world.users["community_admin"]
    n1, n2 = _need(world), _need(world, "助餐")
    r = _res(world, "10")
    p = _project(world, [n1, n2], [(r, "6")])
    services.project_agree(actor=world.users["unit_liaison"], project=p)
    services.project_start(actor=admin, project=p)
    with pytest.raises(ValidationError):
        services.project_cancel(actor=admin, project=p, reason=" ")
    with pytest.raises(PermissionDenied):
        services.project_cancel(actor=world.users["unit_liaison"], project=p, reason="单位撤出")
    p = services.project_cancel(actor=admin, project=p, reason="施工许可未获批")
    assert p.status == ProjectStatus.CANCELLED and p.cancelled_at is not None and p.cancel_reason == "施工许可未获批"
    r.refresh_from_db()
    assert r.remaining == Decimal("10.00")
    assert set(Need.objects.values_list("status", flat=True)) == {NeedStatus.PUBLISHED}
    assert AuditEvent.objects.filter(verb="cobuild.resource.release", target_id=str(r.pk)).count() == 1
    # the released capacity and the needs can be taken up again
    q = _project(world, [n1, n2], [(r, "10")])
    r.refresh_from_db()
    assert q.status == ProjectStatus.PROPOSED and r.remaining == Decimal("0.00")


def test_capacity_cannot_be_lowered_below_committed(world):
    r = _res(world, "10")
    _project(world, [_need(world)], [(r, "6")])
    with pytest.raises(ValidationError):
        services.resource_update(actor=world.users["unit_liaison"], resource=r, capacity="5")
    services.resource_update(actor=world.users["unit_liaison"], resource=r, capacity="8")
    r.refresh_from_db()
    assert r.remaining == Decimal("2.00")


# --- permissions and scope --------------------------------------------------------------------

ROLES = ["city_admin", "district_admin", "subdistrict_admin", "community_admin", "community_admin_b", "unit_liaison", "unit_liaison_b",
         "resident", "member", "instructor", "nobody"]
ADMIN_ACTIONS = {"project_view", "project_manage", "project_run", "project_rate"}
EXPECTED = {
    "city_admin": ADMIN_ACTIONS, "district_admin": ADMIN_ACTIONS, "subdistrict_admin": ADMIN_ACTIONS, "community_admin": ADMIN_ACTIONS,
    "community_admin_b": ADMIN_ACTIONS, "unit_liaison": {"project_view", "project_run"}, "unit_liaison_b": {"project_view", "project_run"},
    "resident": set(), "member": set(), "instructor": set(), "nobody": set(),
}


@pytest.mark.parametrize("role", ROLES)
def test_project_matrix_deny_by_default(world, role):
    for action in ("project_view", "project_manage", "project_run", "project_rate"):
        assert can(world.users[role], f"cobuild.{action}") == (action in EXPECTED[role]), (role, action)


# role -> (sees the comm_a1 project of unit_a, may run it, may manage/rate it)
SCOPE = [
    ("city_admin", True, True, True), ("district_admin", True, True, True), ("subdistrict_admin", True, True, True),
    ("community_admin", True, True, True), ("community_admin_b", False, False, False), ("unit_liaison", True, True, False),
    ("unit_liaison_b", False, False, False), ("resident", False, False, False), ("member", False, False, False),
    ("nobody", False, False, False),
]


@pytest.mark.parametrize("role,sees,runs,manages", SCOPE)
def test_project_scope(world, role, sees, runs, manages):
    p = _project(world, [_need(world)], [])
    user = world.users[role]
    if sees:
        assert selectors.project_get(actor=user, id=p.pk) == p
        assert list(selectors.project_list(actor=user)) == [p]
    else:
        with pytest.raises(NotFound):
            selectors.project_get(actor=user, id=p.pk)
        assert list(selectors.project_list(actor=user)) == []
    if runs:
        services.project_agree(actor=user, project=p)
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            services.project_agree(actor=user, project=p)
    if manages:
        services.project_cancel(actor=user, project=p, reason="重新规划")
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            services.project_cancel(actor=user, project=p, reason="x")
    assert Project.objects.get(pk=p.pk).status == (
        ProjectStatus.CANCELLED if manages else ProjectStatus.AGREED if runs else ProjectStatus.PROPOSED)


def test_create_refuses_out_of_scope_and_forbidden_actors(world):
    n = _need(world)
    for role in ("unit_liaison", "resident", "nobody"):
        with pytest.raises(PermissionDenied):
            _project(world, [n], [], actor=role)
    with pytest.raises(ValidationError) as exc:  # another community's admin: neither the community nor the need are reachable
        _project(world, [n], [], actor="community_admin_b")
    assert {"community", "needs"} <= set(exc.value.details)
    assert not Project.objects.exists()


def test_list_filters_and_query_count(world, django_assert_max_num_queries):
    a = _project(world, [_need(world)], [])
    b = _project(world, [_need(world, "二")], [])
    services.project_cancel(actor=world.users["community_admin"], project=b, reason="重复")
    admin = world.users["district_admin"]
    assert list(selectors.project_list(actor=admin, filters={"status": "proposed"})) == [a]
    assert list(selectors.project_list(actor=admin, filters={"q": "适老"})) == [b, a]
    assert list(selectors.project_list(actor=admin, filters={"community": world.tree.comm_a2.pk})) == []
    assert list(selectors.project_list(actor=admin, filters={"unit": world.unit_a.pk, "status": "bogus"})) == [b, a]
    with django_assert_max_num_queries(3):
        rows = [(p.title, p.community.name, p.unit.name) for p in selectors.project_list(actor=admin)]
    assert len(rows) == 2


# --- figure ---------------------------------------------------------------------------------------


def test_problems_solved_figure_moves(world):
    admin = world.users["community_admin"]
    fig = registry.figure("cobuild.problems_solved")
    assert fig.compute(world.tree.city, None) == 0
    p = _project(world, [_need(world)], [])
    services.project_agree(actor=admin, project=p)
    services.project_start(actor=admin, project=p)
    services.project_complete(actor=admin, project=p, outcome="完成")
    assert fig.compute(world.tree.erqi, None) == 0  # done but not yet rated
    services.project_rate(actor=admin, project=p, rating=4)
    assert fig.compute(world.tree.erqi, None) == 1 and fig.compute(world.tree.comm_a1, None) == 1
    assert fig.compute(world.tree.jinshui, None) == 0 and fig.compute(world.tree.comm_a2, None) == 0
    assert fig.compute(world.tree.city, Period.year(2000)) == 0
    assert fig.compute(world.tree.city, Period.year(timezone.localdate().year)) == 1
    assert fig.records is not None and list(fig.records(world.tree.city, None)) == [p]


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_projects_committing_the_same_capacity_at_once(world):
    assert connection.vendor == "postgresql"
    r = _res(world, "10")
    needs = [_need(world, f"需求{i}") for i in range(2)]
    # both have validated against remaining 10 before either locks
    outcomes = [_zh(o) if isinstance(o, ValidationError) else o
                for o in race(*(lambda i=i: _project(world, [needs[i]], [(r.pk, "6")]) for i in range(2)),
                              hold=(project_services, "_clean_project"))]
    created = [o for o in outcomes if isinstance(o, Project)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "4" in refused[0] and "6" in refused[0]
    r.refresh_from_db()
    assert r.remaining == Decimal("4.00")
    assert Project.objects.count() == 1 and ProjectResource.objects.count() == 1
    assert Need.objects.filter(status=NeedStatus.IN_PROJECT).count() == 1


def test_uncounted_resource_and_responsible_unit_rules(world):
    n = _need(world)
    open_ended = _res(world, capacity="", title="法律咨询")
    assert open_ended.remaining is None
    # a unit of another district is accepted only when the project uses its resource
    with pytest.raises(ValidationError) as exc:
        services.project_create(actor=world.users["community_admin"], title="项目", community=world.tree.comm_a1, unit=world.unit_b,
                                needs=[n], resources=[(open_ended, "2")])
    assert "unit" in exc.value.details and not Project.objects.exists()
    p = _project(world, [n], [(open_ended, "2")])
    open_ended.refresh_from_db()
    assert open_ended.remaining is None and p.project_resources.get().amount == Decimal("2.00")
    assert selectors.project_get(actor=world.users["unit_liaison"], id=p.pk) == p
