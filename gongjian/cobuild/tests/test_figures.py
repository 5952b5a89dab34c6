from __future__ import annotations

from gongjian.cobuild import services
from gongjian.core import registry
from gongjian.core.registry import Period


def value(key, region, period=None):
    return registry.figure(key).compute(region, period)


def test_figures_registered():
    keys = {f.key for f in registry.figures() if f.module == "cobuild"}
    assert keys == {"cobuild.needs_published", "cobuild.needs_met", "cobuild.resources_offered", "cobuild.venue_area_offered",
                    "cobuild.problems_solved"}


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
    f = services.resource_create(actor=liaison, unit=world.unit_a.pk, title="助老资金", kind="funds", capacity="5000", capacity_unit="yuan")
    assert value("cobuild.resources_offered", t.erqi) == 0
    services.resource_offer(actor=liaison, resource=r)
    services.resource_offer(actor=liaison, resource=f)
    assert value("cobuild.resources_offered", t.erqi) == 2 and value("cobuild.resources_offered", t.jinshui) == 0
    assert value("cobuild.venue_area_offered", t.city) == 120.0
    services.resource_pause(actor=liaison, resource=r)
    assert value("cobuild.venue_area_offered", t.city) == 0 and value("cobuild.resources_offered", t.city) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_offer(actor=liaison, resource=r)
    assert registry.figure_value("cobuild.venue_area_offered", t.erqi) == 120.0
