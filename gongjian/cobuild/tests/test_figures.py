"""Figures of the co-building module: every one moves when its records change, by region and period,
its drill-down records match the number, and the services that change them bump the cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gongjian.cobuild import services
from gongjian.cobuild.choices import AgreementStatus, PartnershipStatus, ProjectStatus, ReportInStatus, ResourceKind
from gongjian.cobuild.models import Need, Partnership, PartnershipAgreement, Project, UnitReportIn
from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.testing import factories as f


def value(key, region, period=None):
    return registry.figure(key).compute(region, period)


def records(key, region, period=None):
    fn = registry.figure(key).records
    assert fn is not None
    return fn(region, period)


def test_figures_registered():
    keys = {f.key for f in registry.figures() if f.module == "cobuild"}
    assert keys == {
        "cobuild.needs_published", "cobuild.needs_met", "cobuild.resources_offered", "cobuild.venue_area_offered",
        "cobuild.funds_offered", "cobuild.problems_solved", "cobuild.median_days_need_to_project", "cobuild.units_reported_in",
        "cobuild.partnerships", "cobuild.agreements_signed",
        *(f"cobuild.resources_offered.{k}" for k in ResourceKind.values),
        *(f"cobuild.projects.{s}" for s in ProjectStatus.values),
    }
    for fig in registry.figures():
        if fig.module == "cobuild":
            assert fig.records is not None, fig.key
            assert str(fig.name) and str(fig.description) and str(fig.unit)


def test_figures_move_with_records(world, django_capture_on_commit_callbacks):
    t = world.tree
    admin = world.users["community_admin"]
    for key in ("cobuild.needs_published", "cobuild.needs_met", "cobuild.resources_offered", "cobuild.venue_area_offered"):
        assert value(key, t.city) == 0
    n = services.need_create(actor=admin, title="加装扶手", community=t.comm_a1.pk)
    assert value("cobuild.needs_published", t.erqi) == 0  # a draft does not count
    services.need_publish(actor=admin, need=n)
    assert value("cobuild.needs_published", t.erqi) == 1 and value("cobuild.needs_published", t.jinshui) == 0
    assert value("cobuild.needs_published", t.sub_a, Period.year(2000)) == 0
    services.need_mark_matched(actor=admin, need=n)
    services.need_start_project(actor=admin, need=n)
    services.need_mark_met(actor=admin, need=n)
    assert value("cobuild.needs_met", t.comm_a1) == 1 and value("cobuild.needs_met", t.comm_a2) == 0
    assert value("cobuild.needs_published", t.erqi) == 1
    liaison = world.users["unit_liaison"]
    r = services.resource_create(actor=liaison, unit=world.unit_a.pk, title="活动室", kind="venue", capacity="120", capacity_unit="m2")
    f_ = services.resource_create(actor=liaison, unit=world.unit_a.pk, title="助老资金", kind="funds", capacity="5000", capacity_unit="yuan")
    assert value("cobuild.resources_offered", t.erqi) == 0
    services.resource_offer(actor=liaison, resource=r)
    services.resource_offer(actor=liaison, resource=f_)
    assert value("cobuild.resources_offered", t.erqi) == 2 and value("cobuild.resources_offered", t.jinshui) == 0
    assert value("cobuild.venue_area_offered", t.city) == 120.0
    assert value("cobuild.funds_offered", t.city) == 5000.0 and value("cobuild.funds_offered", t.jinshui) == 0
    assert value("cobuild.resources_offered.venue", t.erqi) == 1 and value("cobuild.resources_offered.funds", t.erqi) == 1
    assert value("cobuild.resources_offered.volunteers", t.erqi) == 0
    assert list(records("cobuild.resources_offered.venue", t.city)) == [r]
    services.resource_pause(actor=liaison, resource=r)
    assert value("cobuild.venue_area_offered", t.city) == 0 and value("cobuild.resources_offered", t.city) == 1
    assert value("cobuild.resources_offered.venue", t.city) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_offer(actor=liaison, resource=r)
    assert registry.figure_value("cobuild.venue_area_offered", t.erqi) == 120.0
    assert registry.figure_value("cobuild.resources_offered.venue", t.erqi) == 1


def _published(world: Any, title: str, when: dt.datetime, community: Any = None) -> Need:
    actor = world.users["community_admin" if community is None else "community_admin_b"]
    n = services.need_create(actor=actor, title=title, community=(community or world.tree.comm_a1).pk, publish=True)
    Need.objects.filter(pk=n.pk).update(published_at=when)
    return n


def test_projects_by_status_follow_the_state_machine(world, django_capture_on_commit_callbacks):
    t = world.tree
    admin, liaison = world.users["community_admin"], world.users["unit_liaison"]
    counts = lambda region: {s: value(f"cobuild.projects.{s}", region) for s in ProjectStatus.values}  # noqa: E731
    assert set(counts(t.city).values()) == {0}
    n1 = services.need_create(actor=admin, title="楼道照明改造", community=t.comm_a1.pk, publish=True)
    n2 = services.need_create(actor=admin, title="四点钟课堂", community=t.comm_a1.pk, publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        p = services.project_create(actor=admin, title="照明改造", community=t.comm_a1, unit=world.unit_a, needs=[n1])
    assert registry.figure_value("cobuild.projects.proposed", t.erqi) == 1  # the cache was bumped by the service
    q = services.project_create(actor=admin, title="四点钟课堂", community=t.comm_a1, unit=world.unit_a, needs=[n2])
    assert counts(t.erqi)[ProjectStatus.PROPOSED] == 2 and counts(t.jinshui)[ProjectStatus.PROPOSED] == 0
    services.project_agree(actor=liaison, project=p)
    assert counts(t.sub_a)[ProjectStatus.PROPOSED] == 1 and counts(t.sub_a)[ProjectStatus.AGREED] == 1
    services.project_start(actor=liaison, project=p)
    services.project_complete(actor=liaison, project=p, outcome="已完成")
    assert counts(t.comm_a1)[ProjectStatus.DONE] == 1 and counts(t.comm_a1)[ProjectStatus.AGREED] == 0
    services.project_rate(actor=admin, project=p, rating=5)
    services.project_cancel(actor=admin, project=q, reason="居民另有安排")
    c = counts(t.city)
    assert c == {**{s: 0 for s in ProjectStatus.values}, ProjectStatus.RATED: 1, ProjectStatus.CANCELLED: 1}
    assert value("cobuild.problems_solved", t.city) == 1
    this_year, last_year = Period.year(timezone.localdate().year), Period.year(timezone.localdate().year - 1)
    assert value("cobuild.projects.rated", t.city, this_year) == 1 and value("cobuild.projects.rated", t.city, last_year) == 0
    assert value("cobuild.projects.cancelled", t.city, last_year) == 0
    Project.objects.filter(pk=q.pk).update(cancelled_at=timezone.now() - dt.timedelta(days=366))
    assert value("cobuild.projects.cancelled", t.city, this_year) + value("cobuild.projects.cancelled", t.city, last_year) == 1
    assert list(records("cobuild.projects.rated", t.erqi)) == [p]


def test_median_days_from_need_to_project(world, django_capture_on_commit_callbacks):
    t = world.tree
    admin, admin_b = world.users["community_admin"], world.users["community_admin_b"]
    key = "cobuild.median_days_need_to_project"
    assert value(key, t.city) == 0.0
    now = timezone.now()
    lags = {}
    for days, title in ((2, "加装电梯"), (10, "助老送餐"), (30, "充电桩")):
        n = _published(world, title, now - dt.timedelta(days=days))
        with django_capture_on_commit_callbacks(execute=True):
            p = services.project_create(actor=admin, title=title, community=t.comm_a1, unit=world.unit_a, needs=[n])
        lags[p.pk] = days
    assert value(key, t.comm_a1) == 10.0  # median of 2, 10 and 30 days
    assert registry.figure_value(key, t.erqi) == 10.0
    # A project with two needs counts from its first need's publication: 40 and 1 days → 40.
    n_old, n_new = _published(world, "法律咨询", now - dt.timedelta(days=40)), _published(world, "义诊", now - dt.timedelta(days=1))
    services.project_create(actor=admin, title="法律与健康", community=t.comm_a1, unit=world.unit_a, needs=[n_new, n_old])
    assert value(key, t.comm_a1) == 20.0  # even count: (10 + 30) / 2
    assert records(key, t.comm_a1).count() == 4
    assert [round(r.lag.total_seconds() / 86400) for r in records(key, t.comm_a1)] == [2, 10, 30, 40]
    # Another district's projects do not count for 二七区; 12 hours is 0.5 days.
    n_b = _published(world, "四点钟课堂", now - dt.timedelta(hours=12), community=t.comm_b1)
    services.project_create(actor=admin_b, title="四点钟课堂", community=t.comm_b1, unit=world.unit_b, needs=[n_b])
    assert value(key, t.jinshui) == 0.5 and value(key, t.erqi) == 20.0 and value(key, t.city) == 10.0
    # In a period: only projects created in it.
    Project.objects.filter(pk__in=[pk for pk, d in lags.items() if d != 30]).update(created_at=now - dt.timedelta(days=400))
    year = Period.year(timezone.localdate().year)
    recent = Project.objects.filter(region_path__startswith=t.erqi.path, created_at__date__gte=year.start).count()
    assert records(key, t.erqi, year).count() == recent
    assert value(key, t.erqi, Period.year(2001)) == 0.0


def _branch_unit(region: Any, name: str) -> tuple[Any, Any]:
    unit = f.unit(region, name)
    return unit, f.party_org(region, f"{name}机关党支部", sector="organ", unit=unit)


def test_units_reported_in_partnerships_and_agreements(world, django_capture_on_commit_callbacks):
    t = world.tree
    today = timezone.localdate()
    unit_c, branch_c = _branch_unit(t.comm_a2, "二七区民政局")
    assert value("cobuild.units_reported_in", t.city) == 0
    ri = UnitReportIn.objects.create(unit=world.unit_a, community=t.comm_a1, region_path=t.comm_a1.path, reported_at=timezone.now())
    assert value("cobuild.units_reported_in", t.city) == 0  # pending does not count
    UnitReportIn.objects.filter(pk=ri.pk).update(status=ReportInStatus.CONFIRMED, confirmed_at=timezone.now())
    assert value("cobuild.units_reported_in", t.erqi) == 1 and value("cobuild.units_reported_in", t.jinshui) == 0
    # The same unit confirmed in a second community is still one unit; a second unit makes two.
    UnitReportIn.objects.create(unit=world.unit_a, community=t.comm_a2, region_path=t.comm_a2.path, status=ReportInStatus.CONFIRMED,
                                confirmed_at=timezone.now())
    assert value("cobuild.units_reported_in", t.sub_a) == 1
    UnitReportIn.objects.create(unit=unit_c, community=t.comm_a2, region_path=t.comm_a2.path, status=ReportInStatus.CONFIRMED,
                                confirmed_at=timezone.now())
    assert value("cobuild.units_reported_in", t.sub_a) == 2 and value("cobuild.units_reported_in", t.comm_a1) == 1
    assert set(records("cobuild.units_reported_in", t.city)) == {world.unit_a, unit_c}
    UnitReportIn.objects.filter(unit=unit_c).update(status=ReportInStatus.ENDED, ended_at=timezone.now())
    assert value("cobuild.units_reported_in", t.sub_a) == 1
    assert value("cobuild.units_reported_in", t.sub_a, Period.year(today.year)) == 2  # it was in during this year
    assert value("cobuild.units_reported_in", t.sub_a, Period.year(today.year - 1)) == 0

    assert value("cobuild.partnerships", t.city) == 0
    ps = Partnership.objects.create(branch=branch_c, unit=unit_c, community=t.comm_a1, region_path=t.comm_a1.path,
                                    started_on=dt.date(today.year - 2, 3, 1))
    assert value("cobuild.partnerships", t.erqi) == 1 and value("cobuild.partnerships", t.jinshui) == 0
    assert value("cobuild.partnerships", t.erqi, Period.year(today.year - 3)) == 0
    assert value("cobuild.partnerships", t.erqi, Period.year(today.year - 2)) == 1
    assert value("cobuild.agreements_signed", t.city) == 0
    PartnershipAgreement.objects.create(partnership=ps, year=today.year - 1, branch_commitments="每季度开展一次志愿服务",
                                        community_commitments="提供活动场地", status=AgreementStatus.SIGNED,
                                        signed_on=dt.date(today.year - 1, 1, 15))
    draft = PartnershipAgreement.objects.create(partnership=ps, year=today.year, branch_commitments="助老送餐", community_commitments="组织居民")
    assert value("cobuild.agreements_signed", t.city) == 0  # last year's, and a draft
    assert value("cobuild.agreements_signed", t.city, Period.year(today.year - 1)) == 1
    PartnershipAgreement.objects.filter(pk=draft.pk).update(status=AgreementStatus.SIGNED, signed_on=today)
    assert value("cobuild.agreements_signed", t.erqi) == 1 and value("cobuild.agreements_signed", t.jinshui) == 0
    Partnership.objects.filter(pk=ps.pk).update(status=PartnershipStatus.ENDED, ended_on=dt.date(today.year - 1, 6, 30))
    assert value("cobuild.partnerships", t.erqi) == 0
    assert value("cobuild.partnerships", t.erqi, Period.year(today.year - 1)) == 1
    assert value("cobuild.partnerships", t.erqi, Period.year(today.year)) == 0


def test_partner_services_refresh_the_cached_figures(world, django_capture_on_commit_callbacks):
    """The report-in, partnership and agreement services bump the module's figures on commit."""
    from gongjian.cobuild.partners import services as partner_services

    t = world.tree
    admin, liaison = world.users["community_admin"], world.users["unit_liaison"]
    org_a = f.party_org(t.comm_a1, "二七区某机关机关党支部", sector="organ", unit=world.unit_a)
    org_b = f.party_org(t.comm_b1, "省供销合作总社机关党支部", sector="organ", unit=world.unit_b)
    cached = lambda key: registry.figure_value(key, t.erqi)  # noqa: E731
    assert cached("cobuild.units_reported_in") == 0 and cached("cobuild.partnerships") == 0 and cached("cobuild.agreements_signed") == 0
    with django_capture_on_commit_callbacks(execute=True):
        ri = partner_services.report_in_create(actor=liaison, unit=world.unit_a, community=t.comm_a1, party_org=org_a,
                                               contact_name="王建国", offer="每月一次志愿服务")
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.report_in_confirm(actor=admin, report_in=ri)
    assert cached("cobuild.units_reported_in") == 1
    with django_capture_on_commit_callbacks(execute=True):
        p = partner_services.partnership_create(actor=admin, branch=org_b, community=t.comm_a1)
    assert cached("cobuild.partnerships") == 1
    with django_capture_on_commit_callbacks(execute=True):
        a = partner_services.agreement_create(actor=admin, partnership=p, year=timezone.localdate().year,
                                              branch_commitments="每季度开展一次进社区志愿服务", community_commitments="提供活动场地")
    assert cached("cobuild.agreements_signed") == 0
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.agreement_sign(actor=admin, agreement=a)
    assert cached("cobuild.agreements_signed") == 1
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.report_in_end(actor=admin, report_in=ri, reason="单位搬迁")
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.partnership_end(actor=admin, partnership=p, reason="结对调整")
    assert cached("cobuild.units_reported_in") == 0 and cached("cobuild.partnerships") == 0
