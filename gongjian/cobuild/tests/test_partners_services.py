"""Unit report-in and partnerships: services, the one-active rules, every forbidden transition, agreements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from gongjian.accounts.choices import Role
from gongjian.cobuild.choices import AgreementStatus, PartnershipStatus, ReportInStatus
from gongjian.cobuild.models import Partnership, PartnershipAgreement, UnitReportIn
from gongjian.cobuild.partners import selectors, services
from gongjian.core import registry
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs.models import PartyOrg, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres, race


@dataclass
class PW:
    """The co-building world plus party organisations and units at other levels."""

    w: Any
    org_a: PartyOrg  # organ branch of unit_a (淮河社区)
    org_b: PartyOrg  # organ branch of unit_b (省供销社社区, 金水区)
    committee_a: PartyOrg  # a committee of unit_a (not a branch)
    community_branch: PartyOrg  # a community branch, no unit
    district_unit: ResidentUnit  # registered at 二七区 (district level)
    org_d: PartyOrg
    city_unit: ResidentUnit  # registered at city level
    org_c: PartyOrg
    grid_unit: ResidentUnit  # registered at a grid of 淮河社区
    org_g: PartyOrg
    school: ResidentUnit  # a school in 淮河社区 with a school-sector branch
    org_s: PartyOrg
    users: dict[str, Any]


@pytest.fixture
def pw(world: Any) -> PW:
    return build_pw(world)


def build_pw(world: Any) -> PW:
    t = world.tree
    org_a = f.party_org(t.comm_a1, "二七区某机关机关党支部", sector="organ", unit=world.unit_a)
    org_b = f.party_org(t.comm_b1, "省供销合作总社机关党支部", sector="organ", unit=world.unit_b)
    committee_a = f.party_org(t.comm_a1, "二七区某机关党委", rank="committee", sector="organ", unit=world.unit_a)
    community_branch = f.party_org(t.comm_a1, "淮河社区党支部")
    district_unit = f.unit(t.erqi, "二七区民政局")
    org_d = f.party_org(t.erqi, "二七区民政局机关党支部", sector="organ", unit=district_unit)
    city_unit = f.unit(t.city, "郑州市某局")
    org_c = f.party_org(t.city, "郑州市某局机关党支部", sector="organ", unit=city_unit)
    grid = f.region("410103001001001", "淮河社区第一网格", Level.GRID, t.comm_a1)
    grid_unit = f.unit(grid, "网格内某单位")
    org_g = f.party_org(grid, "网格内某单位党支部", sector="organ", unit=grid_unit)
    school = f.unit(t.comm_a1, "淮河路小学", kind="school")
    org_s = f.party_org(t.comm_a1, "淮河路小学党支部", sector="school", unit=school)
    users = dict(world.users)
    users["jinshui_admin"] = f.user(Role.DISTRICT_ADMIN, region=t.jinshui, username="jinshui")
    users["liaison_d"] = f.user(Role.UNIT_LIAISON, unit=district_unit, username="liaison_d")
    users["liaison_c"] = f.user(Role.UNIT_LIAISON, unit=city_unit, username="liaison_c")
    users["liaison_g"] = f.user(Role.UNIT_LIAISON, unit=grid_unit, username="liaison_g")
    return PW(world, org_a, org_b, committee_a, community_branch, district_unit, org_d, city_unit, org_c, grid_unit, org_g, school, org_s,
              users)


def zh(exc: Exception) -> str:
    with translation.override("zh-hans"):
        return " ".join(str(m) for msgs in getattr(exc, "details", {}).values() for m in msgs) or str(exc)


def report(pw: PW, *, actor: str = "unit_liaison", unit: Any = None, community: Any = None, org: Any = None, **extra: Any) -> UnitReportIn:
    data = {"contact_name": "王建国", "offer": "每月一次志愿服务", **extra}
    return services.report_in_create(actor=pw.users[actor], unit=unit or pw.w.unit_a, community=community or pw.w.tree.comm_a1,
                                     party_org=org or pw.org_a, **data)


def partner(pw: PW, *, actor: str = "community_admin", branch: Any = None, community: Any = None, **extra: Any) -> Partnership:
    return services.partnership_create(actor=pw.users[actor], branch=branch or pw.org_b, community=community or pw.w.tree.comm_a1, **extra)


def agree(pw: PW, p: Partnership, *, actor: str = "community_admin", year: Any = None, **extra: Any) -> PartnershipAgreement:
    data = {"branch_commitments": "每季度开展一次进社区志愿服务", "community_commitments": "提供活动场地并组织居民参加", **extra}
    return services.agreement_create(actor=pw.users[actor], partnership=p, year=year or timezone.localdate().year, **data)


def bumps_cobuild(callbacks: list[Any]) -> bool:
    """Among the commit callbacks, the move of co-building's version (core.registry.bump)."""
    return registry.version_key("cobuild") in {getattr(cb, "gongjian_bump", None) for cb in callbacks}


# --- report-in --------------------------------------------------------------------------------------


def test_liaison_reports_his_unit_in_and_the_community_confirms(pw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as bumps:
        r = report(pw)
    assert bumps_cobuild(bumps)  # the figures' version is bumped on commit
    assert r.status == ReportInStatus.PENDING and r.region_path == pw.w.tree.comm_a1.path and r.unit == pw.w.unit_a
    assert r.reported_by == pw.users["unit_liaison"] and r.reported_at is not None and r.party_org == pw.org_a
    ev = AuditEvent.objects.get(verb="cobuild.report_in.create")
    assert ev.target_id == str(r.pk) and ev.changes["status"]["after"] == "pending" and ev.region_path == r.region_path
    with django_capture_on_commit_callbacks() as bumps:
        r = services.report_in_confirm(actor=pw.users["community_admin"], report_in=r.pk)
    assert bumps_cobuild(bumps)
    assert r.status == ReportInStatus.CONFIRMED and r.confirmed_by == pw.users["community_admin"] and r.confirmed_at is not None
    assert AuditEvent.objects.filter(verb="cobuild.report_in.confirm", target_id=str(r.pk)).exists()
    r = services.report_in_end(actor=pw.users["unit_liaison"], report_in=r, reason="单位搬迁")
    assert r.status == ReportInStatus.ENDED and r.ended_at is not None and r.status_note == "单位搬迁"
    ev = AuditEvent.objects.get(verb="cobuild.report_in.end")
    assert ev.changes == {"status": {"before": "confirmed", "after": "ended"}, "reason": "单位搬迁"}


def test_admin_reports_in_on_the_units_behalf(pw):
    r = report(pw, actor="subdistrict_admin")
    assert r.reported_by == pw.users["subdistrict_admin"] and r.status == ReportInStatus.PENDING
    # a unit outside the admin's area is not his to report in
    with pytest.raises(ValidationError) as exc:
        report(pw, actor="community_admin_b")
    assert "unit" in exc.value.details


def test_where_a_unit_is_located(pw):
    t = pw.w.tree
    # a community-level unit: only its own community
    with pytest.raises(ValidationError) as exc:
        report(pw, community=t.comm_a2)
    assert "只能向单位所在的社区报到" in zh(exc.value)
    # a district-level unit: any community of its district, none elsewhere
    for comm in (t.comm_a1, t.comm_a2):
        assert report(pw, actor="liaison_d", unit=pw.district_unit, community=comm, org=pw.org_d).community == comm
    with pytest.raises(ValidationError) as exc:
        report(pw, actor="liaison_d", unit=pw.district_unit, community=t.comm_b1, org=pw.org_d)
    assert "只能向单位所在的社区报到" in zh(exc.value)
    # a city-level unit must be placed first
    with pytest.raises(ValidationError) as exc:
        report(pw, actor="liaison_c", unit=pw.city_unit, community=t.comm_a1, org=pw.org_c)
    assert "市级" in zh(exc.value)
    # a unit registered at a grid reports in to the grid's community
    assert report(pw, actor="liaison_g", unit=pw.grid_unit, community=t.comm_a1, org=pw.org_g).community == t.comm_a1
    with pytest.raises(ValidationError):
        report(pw, actor="liaison_g", unit=pw.grid_unit, community=t.comm_a2, org=pw.org_g)
    # not a community at all
    with pytest.raises(ValidationError) as exc:
        report(pw, actor="liaison_d", unit=pw.district_unit, community=t.sub_a, org=pw.org_d)
    assert "社区级" in zh(exc.value)
    assert [c.name for c in selectors.community_choices_for_unit(pw.district_unit)] == ["淮河社区", "路砦社区"]
    assert [c.name for c in selectors.community_choices_for_unit(pw.district_unit, "路砦")] == ["路砦社区"]
    assert list(selectors.community_choices_for_unit(pw.city_unit)) == []


def test_report_in_validation_writes_nothing(pw):
    events = AuditEvent.objects.count()
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"unit": "", "community": "", "party_org": "", "contact_name": ""}, {"unit", "community", "party_org", "contact_name"}),
        ({"party_org": pw.org_b.pk}, {"party_org"}),  # another unit's organisation
        ({"unit": pw.w.unit_b.pk}, {"unit"}),  # a liaison reporting in another unit
        ({"contact_name": "王\x00五"}, {"contact_name"}),
        ({"contact_name": "王" * 65}, {"contact_name"}),
        ({"offer": "x" * 4001}, {"offer"}),
        ({"offer": ["a", "b"]}, {"offer"}),
        ({"community": "abc"}, {"community"}),
        ({"community": 10**30}, {"community"}),
        ({"community": True}, {"community"}),
        ({"community": [1]}, {"community"}),
        ({"unit": {"id": 1}}, {"unit"}),
        ({"party_org": 2.5}, {"party_org"}),
    ]
    for override, fields in cases:
        data = {"unit": pw.w.unit_a.pk, "community": pw.w.tree.comm_a1.pk, "party_org": pw.org_a.pk, "contact_name": "王建国", **override}
        with pytest.raises(ValidationError) as exc:
            services.report_in_create(actor=pw.users["unit_liaison"], **data)
        assert fields <= set(exc.value.details), (override, exc.value.details)
        assert zh(exc.value) and "\x00" not in zh(exc.value)
    assert UnitReportIn.objects.count() == 0 and AuditEvent.objects.count() == events
    # a deactivated organisation is refused
    PartyOrg.objects.filter(pk=pw.org_a.pk).update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        report(pw)
    assert "party_org" in exc.value.details


def test_one_active_report_in_per_unit_and_community(pw):
    r1 = report(pw)
    with pytest.raises(Conflict) as exc:
        report(pw, actor="community_admin")
    assert "不能重复报到" in zh(exc.value) and exc.value.details.keys() == {"community"}
    services.report_in_confirm(actor=pw.users["community_admin"], report_in=r1)
    with pytest.raises(Conflict):
        report(pw)
    services.report_in_end(actor=pw.users["community_admin"], report_in=r1, reason="合作期满")
    r2 = report(pw)  # ended: may report in again
    services.report_in_reject(actor=pw.users["community_admin"], report_in=r2, reason="材料不全")
    r3 = report(pw)  # rejected: may report in again
    assert r3.status == ReportInStatus.PENDING
    assert UnitReportIn.objects.filter(status__in=("pending", "confirmed")).count() == 1
    # the district unit may be active in two communities at once (the rule is per pair)
    report(pw, actor="liaison_d", unit=pw.district_unit, community=pw.w.tree.comm_a1, org=pw.org_d)
    report(pw, actor="liaison_d", unit=pw.district_unit, community=pw.w.tree.comm_a2, org=pw.org_d)


def test_duplicate_caught_by_the_database_gives_the_same_message(pw, monkeypatch):
    report(pw)
    events = AuditEvent.objects.count()
    monkeypatch.setattr(services, "_active_report_in_exists", lambda unit_id, community_id: False)
    with pytest.raises(Conflict) as exc:
        report(pw)
    assert "不能重复报到" in zh(exc.value)
    assert UnitReportIn.objects.count() == 1 and AuditEvent.objects.count() == events


FORBIDDEN_REPORT_IN = [
    # (from, action) pairs the transition table refuses
    ("confirmed", "confirm"), ("confirmed", "reject"),
    ("rejected", "confirm"), ("rejected", "reject"), ("rejected", "end"),
    ("ended", "confirm"), ("ended", "reject"), ("ended", "end"),
]


def _in_status(pw: PW, status: str) -> UnitReportIn:
    r = report(pw)
    admin = pw.users["community_admin"]
    if status == "confirmed":
        services.report_in_confirm(actor=admin, report_in=r)
    elif status == "rejected":
        services.report_in_reject(actor=admin, report_in=r, reason="不在本社区")
    elif status == "ended":
        services.report_in_end(actor=admin, report_in=r, reason="结束")
    r.refresh_from_db()
    return r


@pytest.mark.parametrize(("status", "action"), FORBIDDEN_REPORT_IN)
def test_forbidden_report_in_transitions(pw, status, action):
    r = _in_status(pw, status)
    events = AuditEvent.objects.count()
    fn = services.REPORT_IN_ACTIONS[action]
    kwargs = {"reason": "理由"} if action != "confirm" else {}
    with pytest.raises(TransitionError) as exc:
        fn(actor=pw.users["city_admin"], report_in=r, **kwargs)
    assert "不能改为" in zh(exc.value) or "不能" in zh(exc.value)
    r2 = UnitReportIn.objects.get(pk=r.pk)
    assert r2.status == status and r2.updated_at == r.updated_at and AuditEvent.objects.count() == events


@pytest.mark.parametrize(("status", "action", "to"), [("pending", "confirm", "confirmed"), ("pending", "reject", "rejected"),
                                                      ("pending", "end", "ended"), ("confirmed", "end", "ended")])
def test_allowed_report_in_transitions(pw, status, action, to):
    r = _in_status(pw, status)
    kwargs = {"reason": "理由"} if action != "confirm" else {}
    assert services.REPORT_IN_ACTIONS[action](actor=pw.users["community_admin"], report_in=r, **kwargs).status == to


def test_reject_and_end_need_a_reason(pw):
    r = report(pw)
    for fn in (services.report_in_reject, services.report_in_end):
        for bad in ("", "   ", "x" * 501, "a\x00b", ["x"]):
            with pytest.raises(ValidationError) as exc:
                fn(actor=pw.users["community_admin"], report_in=r, reason=bad)
            assert "reason" in exc.value.details
    r.refresh_from_db()
    assert r.status == ReportInStatus.PENDING


# --- permissions on report-ins -------------------------------------------------------------------------

# (role, confirm outcome on a report-in to 淮河社区): "ok" | NotFound | PermissionDenied
CONFIRM_MATRIX = [
    ("city_admin", "ok"), ("district_admin", "ok"), ("subdistrict_admin", "ok"), ("community_admin", "ok"),
    ("community_admin_b", NotFound), ("jinshui_admin", NotFound), ("unit_liaison", PermissionDenied), ("unit_liaison_b", PermissionDenied),
    ("resident", PermissionDenied), ("member", PermissionDenied), ("instructor", PermissionDenied), ("nobody", PermissionDenied),
]


@pytest.mark.parametrize(("role", "outcome"), CONFIRM_MATRIX)
def test_confirm_matrix(pw, role, outcome):
    r = report(pw)
    if outcome == "ok":
        assert services.report_in_confirm(actor=pw.users[role], report_in=r).status == ReportInStatus.CONFIRMED
    else:
        with pytest.raises(outcome):
            services.report_in_confirm(actor=pw.users[role], report_in=r)
        assert UnitReportIn.objects.get(pk=r.pk).status == ReportInStatus.PENDING


END_MATRIX = [
    ("city_admin", "ok"), ("district_admin", "ok"), ("subdistrict_admin", "ok"), ("community_admin", "ok"), ("unit_liaison", "ok"),
    ("community_admin_b", NotFound), ("jinshui_admin", NotFound), ("unit_liaison_b", NotFound), ("liaison_d", NotFound),
    ("resident", PermissionDenied), ("member", PermissionDenied), ("nobody", PermissionDenied),
]


@pytest.mark.parametrize(("role", "outcome"), END_MATRIX)
def test_end_matrix(pw, role, outcome):
    r = report(pw)
    if outcome == "ok":
        assert services.report_in_end(actor=pw.users[role], report_in=r, reason="结束").status == ReportInStatus.ENDED
    else:
        with pytest.raises(outcome):
            services.report_in_end(actor=pw.users[role], report_in=r, reason="结束")


@pytest.mark.parametrize(("role", "outcome"), [
    ("unit_liaison", "ok"), ("community_admin", "ok"), ("subdistrict_admin", "ok"), ("district_admin", "ok"), ("city_admin", "ok"),
    ("unit_liaison_b", ValidationError), ("community_admin_b", ValidationError), ("jinshui_admin", ValidationError),
    ("resident", PermissionDenied), ("member", PermissionDenied), ("instructor", PermissionDenied), ("nobody", PermissionDenied),
])
def test_create_matrix(pw, role, outcome):
    if outcome == "ok":
        assert report(pw, actor=role).status == ReportInStatus.PENDING
    else:
        with pytest.raises(outcome):
            report(pw, actor=role)
        assert UnitReportIn.objects.count() == 0


def test_report_in_selectors_are_scoped(pw):
    r_a = report(pw)
    r_d = report(pw, actor="liaison_d", unit=pw.district_unit, community=pw.w.tree.comm_a2, org=pw.org_d)
    r_b = report(pw, actor="unit_liaison_b", unit=pw.w.unit_b, community=pw.w.tree.comm_b1, org=pw.org_b)
    seen = {role: set(selectors.report_in_list(actor=pw.users[role]).values_list("pk", flat=True)) for role in pw.users}
    assert seen["city_admin"] == {r_a.pk, r_d.pk, r_b.pk}
    assert seen["district_admin"] == seen["subdistrict_admin"] == {r_a.pk, r_d.pk}
    assert seen["community_admin"] == {r_a.pk} and seen["community_admin_b"] == {r_b.pk} and seen["jinshui_admin"] == {r_b.pk}
    assert seen["unit_liaison"] == {r_a.pk} and seen["liaison_d"] == {r_d.pk} and seen["unit_liaison_b"] == {r_b.pk}
    for role in ("resident", "member", "instructor", "nobody", "liaison_c"):
        assert seen[role] == set(), role
    with pytest.raises(NotFound):
        selectors.report_in_get(actor=pw.users["community_admin_b"], id=r_a.pk)
    with pytest.raises(NotFound):
        selectors.report_in_get(actor=pw.users["unit_liaison"], id=r_d.pk)
    assert selectors.report_in_get(actor=pw.users["liaison_d"], id=r_d.pk) == r_d
    assert list(selectors.report_in_pending(actor=pw.users["community_admin"])) == [r_a]
    assert list(selectors.report_in_pending(actor=pw.users["unit_liaison"])) == []  # a liaison confirms nothing
    filt = selectors.report_in_list(actor=pw.users["city_admin"], filters={"q": "民政局", "status": "active"})
    assert list(filt) == [r_d]
    assert selectors.report_in_list(actor=pw.users["city_admin"], filters={"unit": "x' OR 1=1", "community": "-1"}).count() == 0


# --- partnerships ------------------------------------------------------------------------------------


def test_partnership_create_and_end(pw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as bumps:
        p = partner(pw)  # 金水区's organ branch ↔ 二七区's community: organs pair across the city
    assert bumps_cobuild(bumps)
    assert p.status == PartnershipStatus.ACTIVE and p.unit == pw.w.unit_b and p.region_path == pw.w.tree.comm_a1.path
    assert p.started_on == timezone.localdate() and p.created_by == pw.users["community_admin"]
    assert AuditEvent.objects.filter(verb="cobuild.partnership.create", target_id=str(p.pk)).exists()
    with pytest.raises(Conflict) as exc:
        partner(pw, actor="district_admin")
    assert "已与该社区" in zh(exc.value)
    # the same branch with another community is fine
    partner(pw, actor="subdistrict_admin", community=pw.w.tree.comm_a2)
    with pytest.raises(ValidationError) as invalid:
        services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="")
    assert "reason" in invalid.value.details
    with pytest.raises(ValidationError) as invalid:
        services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="调整",
                                 ended_on=timezone.localdate() + dt.timedelta(days=2))
    assert "ended_on" in invalid.value.details
    with pytest.raises(ValidationError) as invalid:
        services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="调整", ended_on="2001-01-01")
    assert "ended_on" in invalid.value.details
    with pytest.raises(ValidationError):
        services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="调整", ended_on="昨天")
    assert Partnership.objects.get(pk=p.pk).status == PartnershipStatus.ACTIVE
    with django_capture_on_commit_callbacks() as bumps:
        p = services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="机关职能调整")
    assert bumps_cobuild(bumps)
    assert p.status == PartnershipStatus.ENDED and p.ended_on == timezone.localdate() and p.end_reason == "机关职能调整"
    with pytest.raises(TransitionError):
        services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="再次结束")
    assert partner(pw).status == PartnershipStatus.ACTIVE  # a new one after the old ended


def test_partnership_validation(pw):
    t = pw.w.tree
    cases = [
        ({"branch": None, "community": None}, {"branch", "community"}),
        ({"branch": pw.community_branch}, {"branch"}),  # community sector
        ({"branch": pw.org_s}, {"branch"}),  # school sector
        ({"branch": pw.committee_a}, {"branch"}),  # a committee, not a branch
        ({"branch": 10**25}, {"branch"}),
        ({"branch": "1; DROP TABLE"}, {"branch"}),
        ({"community": t.comm_b1}, {"community"}),  # outside the community admin's area
        ({"community": t.sub_a}, {"community"}),  # not a community
        ({"started_on": "2099-01-01"}, {"started_on"}),
        ({"started_on": "1999-12-31"}, {"started_on"}),
        ({"started_on": "明天"}, {"started_on"}),
    ]
    for override, fields in cases:
        data = {"branch": pw.org_b, "community": t.comm_a1, **override}
        with pytest.raises(ValidationError) as exc:
            services.partnership_create(actor=pw.users["community_admin"], **data)
        assert fields <= set(exc.value.details), (override, exc.value.details)
    orphan = f.party_org(t.comm_a1, "无单位机关支部", sector="organ")
    with pytest.raises(ValidationError) as exc:
        partner(pw, branch=orphan)
    assert "单位" in zh(exc.value)
    ResidentUnit.objects.filter(pk=pw.w.unit_b.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        partner(pw)
    assert Partnership.objects.count() == 0
    assert partner(pw, branch=pw.org_a, started_on="2020-03-01").started_on == dt.date(2020, 3, 1)


@pytest.mark.parametrize(("role", "outcome"), [
    ("city_admin", "ok"), ("district_admin", "ok"), ("subdistrict_admin", "ok"), ("community_admin", "ok"),
    ("community_admin_b", ValidationError), ("jinshui_admin", ValidationError),
    ("unit_liaison", PermissionDenied), ("unit_liaison_b", PermissionDenied), ("resident", PermissionDenied), ("nobody", PermissionDenied),
])
def test_partnership_create_matrix(pw, role, outcome):
    if outcome == "ok":
        assert partner(pw, actor=role).status == PartnershipStatus.ACTIVE
    else:
        with pytest.raises(outcome):
            partner(pw, actor=role)


@pytest.mark.parametrize(("role", "outcome"), [
    ("city_admin", "ok"), ("district_admin", "ok"), ("community_admin", "ok"),
    ("community_admin_b", NotFound), ("jinshui_admin", NotFound),
    ("unit_liaison", PermissionDenied), ("unit_liaison_b", PermissionDenied), ("member", PermissionDenied),
])
def test_partnership_end_matrix(pw, role, outcome):
    p = partner(pw)
    if outcome == "ok":
        assert services.partnership_end(actor=pw.users[role], partnership=p, reason="调整").status == PartnershipStatus.ENDED
    else:
        with pytest.raises(outcome):
            services.partnership_end(actor=pw.users[role], partnership=p, reason="调整")


def test_partnership_selectors_are_scoped(pw):
    p1 = partner(pw)  # org_b (unit_b, 金水区) ↔ 淮河社区
    p2 = partner(pw, actor="jinshui_admin", branch=pw.org_a, community=pw.w.tree.comm_b2)  # unit_a ↔ 通信花园社区
    seen = {role: set(selectors.partnership_list(actor=pw.users[role]).values_list("pk", flat=True)) for role in pw.users}
    assert seen["city_admin"] == {p1.pk, p2.pk}
    assert seen["district_admin"] == seen["subdistrict_admin"] == seen["community_admin"] == {p1.pk}
    assert seen["jinshui_admin"] == {p2.pk} and seen["community_admin_b"] == set()
    # the liaison sees his unit's partnerships wherever they are
    assert seen["unit_liaison"] == {p2.pk} and seen["unit_liaison_b"] == {p1.pk}
    for role in ("resident", "member", "nobody", "liaison_d"):
        assert seen[role] == set()
    with pytest.raises(NotFound):
        selectors.partnership_get(actor=pw.users["community_admin_b"], id=p1.pk)
    with pytest.raises(NotFound):
        selectors.partnership_get(actor=pw.users["unit_liaison"], id=p1.pk)
    assert list(selectors.partnership_list(actor=pw.users["city_admin"], filters={"q": "供销"})) == [p1]


# --- agreements -----------------------------------------------------------------------------------


def test_agreement_draft_edit_sign(pw, django_capture_on_commit_callbacks):
    p = partner(pw)
    year = timezone.localdate().year
    with django_capture_on_commit_callbacks() as bumps:
        a = agree(pw, p)
    assert bumps_cobuild(bumps)
    assert a.status == AgreementStatus.DRAFT and a.year == year and a.signed_on is None
    assert AuditEvent.objects.get(verb="cobuild.agreement.create").region_path == p.region_path
    with pytest.raises(ValidationError) as exc:
        agree(pw, p)
    assert "year" in exc.value.details and str(year) in zh(exc.value)
    # the branch's liaison drafts his side too
    a = services.agreement_update(actor=pw.users["unit_liaison_b"], agreement=a, branch_commitments="每月一次助老服务", status="signed")
    assert a.branch_commitments == "每月一次助老服务" and a.status == AgreementStatus.DRAFT
    with pytest.raises(PermissionDenied):
        services.agreement_sign(actor=pw.users["unit_liaison_b"], agreement=a)
    with pytest.raises(ValidationError):
        services.agreement_sign(actor=pw.users["community_admin"], agreement=a, signed_on=timezone.localdate() + dt.timedelta(days=1))
    a = services.agreement_sign(actor=pw.users["community_admin"], agreement=a.pk)
    assert a.status == AgreementStatus.SIGNED and a.signed_on == timezone.localdate()
    with pytest.raises(TransitionError):
        services.agreement_sign(actor=pw.users["community_admin"], agreement=a)
    with pytest.raises(TransitionError):
        services.agreement_update(actor=pw.users["community_admin"], agreement=a, branch_commitments="改")
    verbs = list(AuditEvent.objects.filter(verb__startswith="cobuild.agreement.").order_by("id").values_list("verb", flat=True))
    assert verbs == ["cobuild.agreement.create", "cobuild.agreement.update", "cobuild.agreement.sign"]


def test_agreement_validation_and_years(pw):
    p = partner(pw, started_on="2023-05-01")
    year = timezone.localdate().year
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"year": 2022}, {"year"}),  # before the partnership started
        ({"year": year + 2}, {"year"}),
        ({"year": "今年"}, {"year"}),
        ({"year": 2024.5}, {"year"}),
        ({"year": [2024]}, {"year"}),
        ({"branch_commitments": ""}, {"branch_commitments"}),
        ({"community_commitments": "  "}, {"community_commitments"}),
        ({"branch_commitments": "x" * 4001}, {"branch_commitments"}),
        ({"community_commitments": "a\x00"}, {"community_commitments"}),
    ]
    for override, fields in cases:
        with pytest.raises(ValidationError) as exc:
            agree(pw, p, **override) if "year" not in override else services.agreement_create(
                actor=pw.users["community_admin"], partnership=p, branch_commitments="做", community_commitments="做", year=override["year"])
        assert fields <= set(exc.value.details), (override, exc.value.details)
    assert PartnershipAgreement.objects.count() == 0
    a23 = agree(pw, p, year=2023)
    a24 = agree(pw, p, year=2024)
    with pytest.raises(ValidationError) as exc:
        services.agreement_update(actor=pw.users["community_admin"], agreement=a24, year=2023)
    assert "year" in exc.value.details
    assert PartnershipAgreement.objects.get(pk=a24.pk).year == 2024
    assert services.agreement_update(actor=pw.users["community_admin"], agreement=a23, year=year).year == year


def test_agreement_database_guard_on_year(pw, monkeypatch):
    p = partner(pw)
    agree(pw, p)
    monkeypatch.setattr(services, "_year_taken", lambda p, year, agreement: False)
    with pytest.raises(ValidationError) as exc:
        agree(pw, p)
    assert "year" in exc.value.details
    assert PartnershipAgreement.objects.count() == 1


def test_agreements_of_an_ended_partnership_are_frozen(pw):
    p = partner(pw)
    a = agree(pw, p)
    services.partnership_end(actor=pw.users["community_admin"], partnership=p, reason="调整")
    with pytest.raises(TransitionError):
        agree(pw, p)
    with pytest.raises(TransitionError):
        services.agreement_update(actor=pw.users["community_admin"], agreement=a, branch_commitments="改")
    with pytest.raises(TransitionError):
        services.agreement_sign(actor=pw.users["community_admin"], agreement=a)
    assert PartnershipAgreement.objects.get(pk=a.pk).status == AgreementStatus.DRAFT


@pytest.mark.parametrize(("role", "edit", "sign"), [
    ("community_admin", "ok", "ok"), ("subdistrict_admin", "ok", "ok"), ("city_admin", "ok", "ok"),
    ("unit_liaison_b", "ok", PermissionDenied),  # the branch's own unit
    ("unit_liaison", NotFound, PermissionDenied),  # another unit
    ("community_admin_b", NotFound, NotFound), ("jinshui_admin", NotFound, NotFound),
    ("resident", PermissionDenied, PermissionDenied), ("nobody", PermissionDenied, PermissionDenied),
])
def test_agreement_matrix(pw, role, edit, sign):
    p = partner(pw)
    a = agree(pw, p)
    actor = pw.users[role]
    if edit == "ok":
        assert services.agreement_update(actor=actor, agreement=a, community_commitments="提供场地").community_commitments == "提供场地"
        assert services.agreement_create(actor=actor, partnership=p, year=p.started_on.year + 1 if p.started_on.year < 2100 else 2100,
                                         branch_commitments="做", community_commitments="做").status == AgreementStatus.DRAFT
    else:
        with pytest.raises(edit):
            services.agreement_update(actor=actor, agreement=a, community_commitments="提供场地")
        with pytest.raises(edit):
            services.agreement_create(actor=actor, partnership=p, year=p.started_on.year, branch_commitments="做", community_commitments="做")
    if sign == "ok":
        assert services.agreement_sign(actor=actor, agreement=a).status == AgreementStatus.SIGNED
    else:
        with pytest.raises(sign):
            services.agreement_sign(actor=actor, agreement=a)
        assert PartnershipAgreement.objects.get(pk=a.pk).status == AgreementStatus.DRAFT


def test_partnerships_missing_this_years_agreement(pw):
    year = timezone.localdate().year
    p1 = partner(pw)
    p2 = partner(pw, branch=pw.org_a)
    p3 = partner(pw, actor="district_admin", branch=pw.org_d, community=pw.w.tree.comm_a2)
    admin = pw.users["district_admin"]
    assert set(selectors.partnerships_missing_agreement(actor=admin)) == {p1, p2, p3}
    a1 = agree(pw, p1)  # a draft does not count
    assert set(selectors.partnerships_missing_agreement(actor=admin)) == {p1, p2, p3}
    services.agreement_sign(actor=admin, agreement=a1)
    old = PartnershipAgreement.objects.create(partnership=p2, year=year - 1, branch_commitments="x", community_commitments="y",
                                              status=AgreementStatus.SIGNED, signed_on=dt.date(year - 1, 3, 1))
    assert old.pk
    services.partnership_end(actor=admin, partnership=p3, reason="调整")
    assert list(selectors.partnerships_missing_agreement(actor=admin)) == [p2]  # last year's signature is not this year's
    assert list(selectors.partnerships_missing_agreement(actor=admin, year=year - 1)) == [p1]
    assert list(selectors.partnership_list(actor=admin, filters={"missing": "1"})) == [p2]
    assert list(selectors.partnerships_missing_agreement(actor=pw.users["community_admin_b"])) == []
    assert list(selectors.partnerships_missing_agreement(actor=pw.users["unit_liaison"])) == [p2]


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("past_the_check", [False, True])
def test_two_report_ins_of_the_same_unit_at_once(pw, monkeypatch, past_the_check):
    """Two requests report the same unit in to the same community at once: exactly one is active.

    ``past_the_check``: both have passed the friendly duplicate check before either writes, so only the
    database's partial unique constraint stands between them (the IntegrityError becomes the same message).
    """
    assert connection.vendor == "postgresql"
    if past_the_check:
        monkeypatch.setattr(services, "_active_report_in_exists", lambda unit_id, community_id: False)
    # both validated before either locks
    outcomes = [zh(o) if isinstance(o, Conflict) else o
                for o in race(lambda: report(pw, actor="unit_liaison"), lambda: report(pw, actor="community_admin"),
                              hold=(services, "clean_report_in"))]
    created = [o for o in outcomes if isinstance(o, UnitReportIn)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "不能重复报到" in refused[0]
    assert UnitReportIn.objects.filter(unit=pw.w.unit_a, community=pw.w.tree.comm_a1, status__in=("pending", "confirmed")).count() == 1
    assert AuditEvent.objects.filter(verb="cobuild.report_in.create").count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("past_the_check", [False, True])
def test_two_partnerships_of_the_same_pair_at_once(pw, monkeypatch, past_the_check):
    """Two administrators pair the same branch with the same community at once: exactly one partnership is active."""
    assert connection.vendor == "postgresql"
    if past_the_check:
        monkeypatch.setattr(services, "_active_partnership_exists", lambda branch_id, community_id: False)
    outcomes = [zh(o) if isinstance(o, Conflict) else o
                for o in race(lambda: partner(pw, actor="community_admin"), lambda: partner(pw, actor="district_admin"),
                              hold=(services, "clean_partnership"))]
    created = [o for o in outcomes if isinstance(o, Partnership)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "不能重复联建" in refused[0]
    assert Partnership.objects.filter(branch=pw.org_b, community=pw.w.tree.comm_a1, status="active").count() == 1
