from __future__ import annotations

import datetime as dt

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.orgs import services
from gongjian.testing import factories as f


def value(key, region, period=None):
    return registry.figure(key).compute(region, period)


def test_figures_are_registered():
    keys = {fig.key for fig in registry.figures() if fig.module == "orgs"}
    assert {"orgs.party_orgs", "orgs.party_orgs.branch", "orgs.party_orgs.working_committee", "orgs.members", "orgs.in_service_members",
            "orgs.resident_units", "orgs.policies"} <= keys


def test_org_and_member_figures_move_with_records(world):
    t = world.tree
    admin = world.users["city_admin"]
    assert value("orgs.party_orgs", t.city) == 4
    assert value("orgs.party_orgs", t.erqi) == 3
    assert value("orgs.party_orgs.branch", t.sub_a) == 2
    assert value("orgs.party_orgs.working_committee", t.erqi) == 1
    assert value("orgs.members", t.erqi) == 2 and value("orgs.members", t.jinshui) == 1
    # 王强 is in service and lives in 省供销社社区 (金水区)
    assert value("orgs.in_service_members", t.jinshui) == 1 and value("orgs.in_service_members", t.erqi) == 0
    services.member_update(actor=admin, member=world.m_b1, home_community=t.comm_a2)
    assert value("orgs.in_service_members", t.erqi) == 1 and value("orgs.in_service_members", t.jinshui) == 0
    services.party_org_create(actor=admin, name="新支部", rank="branch", region=t.comm_a2, sector="community", parent=world.committee_a)
    assert value("orgs.party_orgs.branch", t.sub_a) == 3
    services.member_deactivate(actor=admin, member=world.m_a2, status="deceased")
    assert value("orgs.members", t.erqi) == 1
    f.member(world.org_a1, join_date=dt.date(2025, 7, 1))
    assert value("orgs.members", t.erqi, Period.year(2024)) == 1
    assert value("orgs.members", t.erqi, Period.year(2025)) == 2


def test_unit_and_policy_figures(world):
    t = world.tree
    admin = world.users["city_admin"]
    assert value("orgs.resident_units", t.erqi) == 1 and value("orgs.resident_units", t.city) == 2
    services.resident_unit_deactivate(actor=admin, unit=world.unit_b)
    assert value("orgs.resident_units", t.city) == 1
    base = value("orgs.policies", t.comm_a1)
    services.policy_create(actor=admin, title="市级文件", level="city", issuer="市委", issued_on=dt.date(2024, 1, 1), body="正文", region=t.city)
    services.policy_create(actor=admin, title="金水区文件", level="district", issuer="金水区委", issued_on=dt.date(2024, 1, 1), body="正文",
                           region=t.jinshui)
    assert value("orgs.policies", t.comm_a1) == base + 1  # the city's applies, 金水区's does not
    assert value("orgs.policies", t.jinshui) == base + 2
    assert value("orgs.policies", t.city, Period.year(2023)) == 0


def test_figure_value_cache_is_bumped_by_services(world, django_capture_on_commit_callbacks):
    t = world.tree
    assert registry.figure_value("orgs.members", t.erqi) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.member_deactivate(actor=world.users["city_admin"], member=world.m_a2, status="deceased")
    assert registry.figure_value("orgs.members", t.erqi) == 1
