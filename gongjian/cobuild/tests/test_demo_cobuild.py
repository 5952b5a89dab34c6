"""The co-building part of the demo city (small scale): records consistent with the state machines,
the seed's figures in the shape of the small city, the liaison account's unit at work, and
``--reset`` emptying the tables and rebuilding the same records."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from gongjian.cobuild import demo as cobuild_demo
from gongjian.cobuild.choices import (
    REPORT_IN_ACTIVE,
    AgreementStatus,
    CapacityUnit,
    MatchVerdict,
    NeedSource,
    NeedStatus,
    PartnershipStatus,
    ProjectStatus,
    ReportInStatus,
    ResourceKind,
    ResourceStatus,
)
from gongjian.cobuild.models import (
    MatchDecision,
    Need,
    Partnership,
    PartnershipAgreement,
    Project,
    ProjectMilestone,
    ProjectNeed,
    ProjectNote,
    ProjectResource,
    Resource,
    UnitReportIn,
)
from gongjian.core import registry
from gongjian.demo import build as demo_build
from gongjian.demo import city
from gongjian.orgs.models import PartyOrg, ResidentUnit
from gongjian.regions.models import Region

COBUILD_MODELS = (Need, Resource, Project, ProjectNeed, ProjectResource, ProjectMilestone, ProjectNote, MatchDecision, UnitReportIn,
                  Partnership, PartnershipAgreement)


@pytest.fixture
def small(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return demo_build.build(scale="small", seed=7, out=lambda _s: None)


def _value(key: str, region=None):
    return registry.figure(key).compute(region or Region.objects.get(level="city"), None)


def test_projects_follow_the_state_machine(small):
    needs = {n.id: n for n in Need.objects.all()}
    links = defaultdict(list)
    for project_id, need_id in ProjectNeed.objects.values_list("project_id", "need_id"):
        links[project_id].append(needs[need_id])
    projects = list(Project.objects.all())
    assert {p.status for p in projects} == set(ProjectStatus.values)
    live_needs: list[int] = []
    for p in projects:
        stamps = [p.created_at, p.agreed_at, p.started_at, p.done_at, p.rated_at]
        reached = {ProjectStatus.PROPOSED: 1, ProjectStatus.AGREED: 2, ProjectStatus.IN_PROGRESS: 3, ProjectStatus.DONE: 4,
                   ProjectStatus.RATED: 5}
        if p.status == ProjectStatus.CANCELLED:
            assert p.cancelled_at is not None and p.cancel_reason
            set_stamps = [s for s in stamps if s is not None]
            assert set_stamps == stamps[: len(set_stamps)] and len(set_stamps) <= 3 and p.done_at is None
            assert max(set_stamps) <= p.cancelled_at
        else:
            n = reached[ProjectStatus(p.status)]
            assert all(s is not None for s in stamps[:n]) and all(s is None for s in stamps[n:]), p.status
            assert stamps[:n] == sorted(cast(list[dt.datetime], stamps[:n])) and p.cancelled_at is None
        assert (p.rating is not None) == (p.status == ProjectStatus.RATED)
        assert p.rating is None or 1 <= p.rating <= 5
        assert bool(p.outcome) == (p.done_at is not None)
        assert p.region_path == Region.objects.get(pk=p.community_id).path
        assert links[p.id], p.title
        for need in links[p.id]:
            assert need.community_id == p.community_id and need.region_path == p.region_path
            assert need.published_at is not None and need.published_at <= p.created_at
            assert need.created_at <= need.published_at
            if p.status in (ProjectStatus.DONE, ProjectStatus.RATED):
                assert need.status == NeedStatus.MET and need.met_at == p.done_at
            elif p.status == ProjectStatus.CANCELLED:
                assert need.status == NeedStatus.PUBLISHED and need.met_at is None  # returned to the list
            else:
                assert need.status == NeedStatus.IN_PROJECT and need.met_at is None
            if p.status != ProjectStatus.CANCELLED:
                live_needs.append(need.id)
    assert len(live_needs) == len(set(live_needs))  # a need is in one live project at most
    in_projects = set(live_needs)
    assert not Need.objects.filter(status__in=(NeedStatus.IN_PROJECT, NeedStatus.MET)).exclude(pk__in=in_projects).exists()
    # needs outside projects
    for need in Need.objects.exclude(pk__in=in_projects):
        assert (need.published_at is None) == (need.status == NeedStatus.DRAFT) or need.status == NeedStatus.WITHDRAWN
        assert (need.withdrawn_at is not None) == (need.status == NeedStatus.WITHDRAWN)
    assert Need.objects.filter(source=NeedSource.WISH, status=NeedStatus.DRAFT).exists()  # wishes awaiting review
    assert Need.objects.filter(source=NeedSource.WISH, status=NeedStatus.MET).exists()


def test_resources_capacity_is_what_the_projects_committed(small):
    committed: defaultdict[int, Decimal] = defaultdict(Decimal)
    for rid, amount, status in ProjectResource.objects.values_list("resource_id", "amount", "project__status"):
        if status != ProjectStatus.CANCELLED:
            committed[rid] += amount
    used = set(ProjectResource.objects.values_list("resource_id", flat=True))
    for r in Resource.objects.all():
        if r.capacity is None:
            assert r.remaining is None and not r.capacity_unit
        else:
            assert r.remaining == r.capacity - committed[r.id] and r.remaining >= 0, r.title
        if r.id in used:
            assert r.status == ResourceStatus.OFFERED
        assert (r.offered_at is None) == (r.status == ResourceStatus.DRAFT)
        assert r.region_path == ResidentUnit.objects.get(pk=r.unit_id).region_path
    for pr in ProjectResource.objects.select_related("resource", "project"):
        assert pr.amount > 0 and pr.resource.offered_at is not None and pr.resource.offered_at < pr.project.created_at
        assert pr.project.unit_id == pr.resource.unit_id  # the unit whose resource it is runs the project
    for d in MatchDecision.objects.select_related("project"):
        if d.verdict == MatchVerdict.ACCEPTED:
            assert ProjectNeed.objects.filter(project=d.project, need=d.need_id).exists()
            assert ProjectResource.objects.filter(project=d.project, resource=d.resource_id).exists()
        else:
            assert d.project_id is None and d.reason
    for m in ProjectMilestone.objects.select_related("project"):
        if m.done_on is not None:
            assert m.project.started_at is not None and m.project.started_at.date() <= m.done_on
    assert not ProjectMilestone.objects.filter(done_on__isnull=False, project__started_at__isnull=True).exists()
    for note in ProjectNote.objects.select_related("project"):
        assert note.project.started_at is not None and note.project.started_at <= note.created_at
        assert note.progress is not None and 0 < note.progress <= 100


def test_report_ins_partnerships_and_agreements(small):
    for ri in UnitReportIn.objects.select_related("community", "unit", "party_org"):
        assert ri.community.level == "community" and ri.region_path == ri.community.path
        assert ri.party_org is not None and ri.party_org.unit_id == ri.unit_id and ri.contact_name
        assert ri.unit.region_id == ri.community_id  # a unit reports in where it is located
        assert (ri.confirmed_at is not None) == (ri.status in (ReportInStatus.CONFIRMED, ReportInStatus.ENDED))
        assert ri.confirmed_at is None or cast(dt.datetime, ri.reported_at) <= ri.confirmed_at
        assert (ri.ended_at is not None) == (ri.status == ReportInStatus.ENDED)
    assert {ReportInStatus.CONFIRMED, ReportInStatus.PENDING} <= set(UnitReportIn.objects.values_list("status", flat=True))
    active = UnitReportIn.objects.filter(status__in=REPORT_IN_ACTIVE)
    assert active.count() == active.values("unit", "community").distinct().count()
    for p in Partnership.objects.select_related("branch", "community"):
        assert p.branch.rank == "branch" and p.branch.unit_id == p.unit_id and p.region_path == p.community.path
        assert (p.ended_on is None) == (p.status == PartnershipStatus.ACTIVE)
        years = sorted(a.year for a in p.agreements.all())
        last = p.ended_on.year - 1 if p.ended_on and p.ended_on.year > p.started_on.year else (
            p.started_on.year if p.ended_on else city.TODAY.year)
        assert years == list(range(p.started_on.year, last + 1)), (p, years)
        for a in p.agreements.all():
            assert (a.signed_on is not None) == (a.status == AgreementStatus.SIGNED)
            assert a.signed_on is None or (a.signed_on.year == a.year and p.started_on <= a.signed_on <= city.TODAY)


def test_seed_figures_in_the_shape_of_the_small_city(small):
    """At city scale: 630 partnerships, ~4,700 problems solved, 20+ provincial units lending ~10,000 m²,
    a bank lending 4,000 m². The small city has the same shape, checked against counts of its own."""
    organ_units = ResidentUnit.objects.filter(kind__in=("organ", "provincial"))
    organ_branches = PartyOrg.objects.filter(unit__in=organ_units, rank="branch")
    assert organ_units.count() == city.ORGAN_UNITS["small"]
    assert _value("cobuild.partnerships") == organ_branches.count() == organ_units.count()
    assert set(Partnership.objects.filter(status=PartnershipStatus.ACTIVE).values_list("branch_id", flat=True)) == set(
        organ_branches.values_list("id", flat=True))
    # Problems solved per urban community as in the seed (4,700 over 1,124 urban communities).
    urban = Region.objects.filter(level="community", kind="community").count()
    solved = _value("cobuild.problems_solved")
    assert solved == Project.objects.filter(status=ProjectStatus.RATED, rated_at__isnull=False, rating__isnull=False).count()
    assert abs(solved / urban - 4_700 / 1_124) < 0.05
    # Every provincial unit of the small city lends a venue; the bank's building is 4,000 m².
    venues = Resource.objects.filter(kind=ResourceKind.VENUE, capacity_unit=CapacityUnit.SQUARE_METRES, status=ResourceStatus.OFFERED)
    provincial = ResidentUnit.objects.filter(kind="provincial")
    assert set(venues.filter(unit__kind="provincial").values_list("unit_id", flat=True)) == set(provincial.values_list("id", flat=True))
    lenders, total = cobuild_demo.PROVINCIAL_VENUES["small"]
    assert venues.filter(unit__kind="provincial").aggregate(s=Sum("capacity"))["s"] == total and provincial.count() == lenders
    assert venues.filter(unit__kind="bank", capacity=4_000).count() == 1
    assert _value("cobuild.venue_area_offered") == float(venues.aggregate(s=Sum("capacity"))["s"])
    # Units reported in: distinct units with a confirmed report-in.
    assert _value("cobuild.units_reported_in") == UnitReportIn.objects.filter(status=ReportInStatus.CONFIRMED).values(
        "unit").distinct().count() > 0
    assert 5 < _value("cobuild.median_days_need_to_project") < 40
    assert _value("cobuild.agreements_signed") > 0
    for status in ProjectStatus.values:
        assert _value(f"cobuild.projects.{status}") == Project.objects.filter(status=status).count() > 0


def test_seed_communities_and_the_liaison_account(small, tmp_path):
    accounts = json.loads((tmp_path / "demo-accounts.json").read_text(encoding="utf-8"))
    liaison = next(a for a in accounts if a["role"] == "unit_liaison")
    unit = ResidentUnit.objects.get(uscc=liaison["scope_code"])
    assert unit.liaison is not None and unit.liaison.username == liaison["username"]
    assert Resource.objects.filter(unit=unit, status=ResourceStatus.OFFERED).count() >= 2
    assert Project.objects.filter(unit=unit, status=ProjectStatus.RATED).exists()
    report_in = UnitReportIn.objects.get(unit=unit, status=ReportInStatus.CONFIRMED)
    assert report_in.reported_by == unit.liaison and report_in.confirmed_by is not None
    assert report_in.confirmed_by.username == "demo_community_gongxiaoshe"
    assert ProjectNote.objects.filter(project__unit=unit, author=unit.liaison).exists()
    # The demo accounts act in their communities: the resident's own micro-wishes, the community admins' projects.
    resident = next(a for a in accounts if a["role"] == "resident")
    wishes = Need.objects.filter(submitted_by__username=resident["username"])
    assert {NeedStatus.DRAFT, NeedStatus.PUBLISHED} <= set(wishes.values_list("status", flat=True))
    assert set(wishes.values_list("source", flat=True)) == {NeedSource.WISH}
    assert set(wishes.values_list("community__code", flat=True)) == {resident["scope_code"]}
    for a in accounts:
        if a["role"] == "community_admin":
            projects = Project.objects.filter(community__code=a["scope_code"])
            assert projects.exists() and set(projects.values_list("proposed_by__username", flat=True)) == {a["username"]}
    assert not Project.objects.exclude(community__code__in=[a["scope_code"] for a in accounts]).exclude(proposed_by=None).exists()
    codes = [*city.SEED_COMMUNITIES.values(), Region.objects.get(name=city.XINWAN_NAME).code]
    for code in codes:
        community = Region.objects.get(code=code)
        assert set(Project.objects.filter(community=community).values_list("status", flat=True)) == set(ProjectStatus.values), code
        assert Need.objects.filter(community=community, status=NeedStatus.PUBLISHED).exists(), code
    # Realistic Chinese needs of the seed's kinds.
    titles = " ".join(Need.objects.values_list("title", flat=True))
    for word in ("加装电梯", "助老送餐", "四点钟课堂", "充电桩", "义诊", "法律咨询", "老旧小区改造"):
        assert word in titles, word


def _fingerprint() -> dict:
    return {
        "counts": {m.__name__: m.objects.count() for m in COBUILD_MODELS},
        "projects": list(Project.objects.order_by("id").values_list("title", "status", "rated_at", "unit__name")[:60]),
        "needs": list(Need.objects.order_by("id").values_list("title", "status", "published_at")[:60]),
        "resources": list(Resource.objects.order_by("id").values_list("title", "capacity", "remaining")[:60]),
        "partnerships": list(Partnership.objects.order_by("id").values_list("branch__name", "community__code", "started_on")),
    }


def test_reset_empties_the_tables_and_rebuilds_the_same(small):
    first = _fingerprint()
    assert all(first["counts"].values())
    with transaction.atomic():
        demo_build.reset(out=lambda _s: None)
        connection.check_constraints()  # deleted children before parents
        assert {m.__name__: m.objects.count() for m in COBUILD_MODELS} == dict.fromkeys(first["counts"], 0)
    demo_build.build(scale="small", seed=7, do_reset=True, out=lambda _s: None)
    connection.check_constraints()
    assert _fingerprint() == first
