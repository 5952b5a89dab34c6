from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gongjian.cobuild import services
from gongjian.cobuild.choices import DEFAULT_CATEGORIES, NEED_TRANSITIONS, NeedSource, NeedStatus, ResourceStatus
from gongjian.cobuild.models import Category, Need, Resource
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent


def need_data(world, **extra):
    return {"title": "为独居老人配送午餐", "description": "12位独居老人", "category": world.cat.pk, "community": world.tree.comm_a1.pk,
            "quantity": "12", "quantity_unit": "人", "wanted_from": "2026-12-01", "wanted_to": "2027-02-28", **extra}


def test_categories_are_seeded(db):
    assert list(Category.objects.order_by("sort_order").values_list("name", flat=True)) == list(DEFAULT_CATEGORIES)


def test_category_create_rename_deactivate(world):
    admin = world.users["district_admin"]
    c = services.category_create(actor=admin, name=" 托育 ", sort_order=5)
    assert c.name == "托育" and AuditEvent.objects.filter(verb="cobuild.category.create").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.category_create(actor=admin, name="助老")
    assert "name" in exc.value.details
    services.category_set_active(actor=admin, category=c, active=False)
    c.refresh_from_db()
    assert not c.is_active
    with pytest.raises(PermissionDenied):
        services.category_create(actor=world.users["community_admin"], name="新类")
    with pytest.raises(ValidationError) as exc:  # a deactivated category cannot be used
        services.need_create(actor=world.users["community_admin"], **need_data(world, category=c.pk))
    assert "category" in exc.value.details


def test_need_create_copies_path_and_audits(world):
    n = services.need_create(actor=world.users["community_admin"], **need_data(world))
    assert n.status == NeedStatus.DRAFT and n.region_path == world.tree.comm_a1.path and n.source == NeedSource.STAFF
    assert n.quantity == Decimal("12.00")
    assert AuditEvent.objects.filter(verb="cobuild.need.create", target_id=str(n.pk)).exists()


@pytest.mark.parametrize("bad,field", [
    ({"title": "  "}, "title"),
    ({"lat": "91"}, "lat"),
    ({"lng": "-181", "lat": "34"}, "lng"),
    ({"lat": "abc", "lng": "113"}, "lat"),
    ({"lat": "34.7"}, "lng"),
    ({"wanted_from": "2027-03-01", "wanted_to": "2027-02-01"}, "wanted_to"),
    ({"quantity": "-3"}, "quantity"),
    ({"category": 999999}, "category"),
    ({"community": None}, "community"),
    ({"urgency": "panic"}, "urgency"),
    ({"source": "wish"}, "source"),
])
def test_need_bad_input_writes_nothing(world, bad, field):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.need_create(actor=world.users["community_admin"], **need_data(world, **bad))
    assert field in exc.value.details
    assert Need.objects.count() == 0 and AuditEvent.objects.count() == before


def test_need_in_another_community_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.need_create(actor=world.users["community_admin"], **need_data(world, community=world.tree.comm_a2.pk))
    assert "community" in exc.value.details
    with pytest.raises(ValidationError):  # a subdistrict is not a community
        services.need_create(actor=world.users["city_admin"], **need_data(world, community=world.tree.sub_a.pk))


def test_need_status_machine(world):
    admin = world.users["community_admin"]
    n = services.need_create(actor=admin, **need_data(world))
    with pytest.raises(TransitionError) as exc:
        services.need_mark_met(actor=admin, need=n)
    assert "草稿" in str(exc.value.message) or "Draft" in str(exc.value.message)
    services.need_publish(actor=admin, need=n)
    n.refresh_from_db()
    assert n.status == NeedStatus.PUBLISHED and n.published_at is not None
    services.need_mark_matched(actor=admin, need=n)
    services.need_start_project(actor=admin, need=n)
    with pytest.raises(TransitionError):
        services.need_withdraw(actor=admin, need=n)
    services.need_mark_met(actor=admin, need=n)
    n.refresh_from_db()
    assert n.status == NeedStatus.MET and n.met_at is not None
    with pytest.raises(TransitionError):
        services.need_publish(actor=admin, need=n)
    verbs = list(AuditEvent.objects.filter(target_id=str(n.pk), target_type="cobuild.need").order_by("id").values_list("verb", flat=True))
    assert verbs == ["cobuild.need.create", "cobuild.need.publish", "cobuild.need.match", "cobuild.need.start_project", "cobuild.need.met"]


def test_transition_table_is_enforced_everywhere(world):
    admin = world.users["community_admin"]
    fns = {NeedStatus.PUBLISHED: services.need_publish, NeedStatus.WITHDRAWN: services.need_withdraw,
           NeedStatus.MATCHED: services.need_mark_matched, NeedStatus.IN_PROJECT: services.need_start_project,
           NeedStatus.MET: services.need_mark_met}
    for start in NeedStatus.values:
        for target, fn in fns.items():
            n = services.need_create(actor=admin, **need_data(world, title=f"{start}-{target}"))
            Need.objects.filter(pk=n.pk).update(status=start)
            if target in NEED_TRANSITIONS[start]:
                fn(actor=admin, need=n)
                n.refresh_from_db()
                assert n.status == target
            else:
                with pytest.raises(TransitionError):
                    fn(actor=admin, need=n)
                n.refresh_from_db()
                assert n.status == start


def test_need_update_only_while_editable(world):
    admin = world.users["community_admin"]
    n = services.need_create(actor=admin, **need_data(world))
    services.need_update(actor=admin, need=n, title="午餐配送（新）", lat="34.74", lng="113.63")
    n.refresh_from_db()
    assert n.title == "午餐配送（新）" and n.lat == Decimal("34.740000")
    with pytest.raises(ValidationError):
        services.need_update(actor=admin, need=n, wanted_to="2026-01-01")
    n.refresh_from_db()
    assert n.wanted_to == dt.date(2027, 2, 28)
    services.need_withdraw(actor=admin, need=n, reason="重复")
    with pytest.raises(TransitionError):
        services.need_update(actor=admin, need=n, title="x")


def test_other_community_admin_gets_not_found(world):
    n = services.need_create(actor=world.users["community_admin"], **need_data(world))
    other = world.users["community_admin_b"]
    for fn in (services.need_publish, services.need_mark_matched):
        with pytest.raises(NotFound):
            fn(actor=other, need=n)
    with pytest.raises(NotFound):
        services.need_update(actor=other, need=n, title="x")


def test_micro_wish_review(world):
    resident = world.users["resident"]
    admin = world.users["community_admin"]
    w = services.need_submit_wish(actor=resident, title="想要一盏台灯", description="孙子写作业用", source="staff")
    assert w.status == NeedStatus.DRAFT and w.source == NeedSource.WISH and w.submitted_by == resident
    assert w.community == world.tree.comm_a1
    with pytest.raises(ValidationError) as exc:
        services.need_reject(actor=admin, need=w, reason="  ")
    assert "reason" in exc.value.details
    services.need_reject(actor=admin, need=w, reason="已由社区志愿者直接解决")
    w.refresh_from_db()
    assert w.status == NeedStatus.WITHDRAWN and w.review_note == "已由社区志愿者直接解决"
    w2 = services.need_submit_wish(actor=resident, title="轮椅借用一个月")
    services.need_publish(actor=admin, need=w2)
    w2.refresh_from_db()
    assert w2.status == NeedStatus.PUBLISHED
    with pytest.raises(TransitionError):  # only a wish under review can be rejected
        services.need_reject(actor=admin, need=w2, reason="x")
    staff_need = services.need_create(actor=admin, **need_data(world))
    with pytest.raises(TransitionError):
        services.need_reject(actor=admin, need=staff_need, reason="x")


def test_wish_refusals(world):
    with pytest.raises(PermissionDenied):
        services.need_submit_wish(actor=world.users["community_admin"], title="x")
    with pytest.raises(ValidationError) as exc:
        services.need_submit_wish(actor=world.users["resident"], title="")
    assert "title" in exc.value.details
    with pytest.raises(ValidationError) as exc:  # another community than his own
        services.need_submit_wish(actor=world.users["resident"], title="台灯", community=world.tree.comm_b1.pk)
    assert "community" in exc.value.details
    w = services.need_submit_wish(actor=world.users["resident"], title="台灯")
    with pytest.raises(PermissionDenied):  # a resident cannot publish his own wish
        services.need_publish(actor=world.users["resident"], need=w)
    assert Need.objects.filter(status=NeedStatus.PUBLISHED).count() == 0


# --- resources -------------------------------------------------------------------------------


def res_data(world, **extra):
    return {"unit": world.unit_a.pk, "title": "党员活动室", "kind": "venue", "category": world.venue.pk, "capacity": "120",
            "capacity_unit": "m2", "radius_km": "3", "service_regions": [world.tree.comm_a2.pk], "available_from": "2026-01-01",
            "available_to": "2030-12-31", **extra}


def test_liaison_manages_own_unit_resources(world):
    liaison = world.users["unit_liaison"]
    r = services.resource_create(actor=liaison, **res_data(world))
    assert r.region_path == world.unit_a.region_path and r.remaining == Decimal("120.00") and r.status == ResourceStatus.DRAFT
    assert list(r.service_regions.all()) == [world.tree.comm_a2]
    services.resource_offer(actor=liaison, resource=r)
    services.resource_pause(actor=liaison, resource=r, reason="装修")
    services.resource_offer(actor=liaison, resource=r)
    r.refresh_from_db()
    assert r.status == ResourceStatus.OFFERED and r.offered_at is not None
    with pytest.raises(ValidationError) as exc:  # another unit's resource cannot be created
        services.resource_create(actor=liaison, **res_data(world, unit=world.unit_b.pk))
    assert "unit" in exc.value.details
    other = services.resource_create(actor=world.users["unit_liaison_b"], **res_data(world, unit=world.unit_b.pk, radius_km=""))
    with pytest.raises(NotFound):
        services.resource_update(actor=liaison, resource=other, title="x")
    with pytest.raises(NotFound):
        services.resource_offer(actor=liaison, resource=other)


@pytest.mark.parametrize("bad,field", [
    ({"title": ""}, "title"),
    ({"kind": ""}, "kind"),
    ({"kind": "spaceship"}, "kind"),
    ({"capacity": "-5"}, "capacity"),
    ({"capacity": "10", "capacity_unit": ""}, "capacity_unit"),
    ({"radius_km": "-1"}, "radius_km"),
    ({"radius_km": "9999"}, "radius_km"),
    ({"available_from": "2027-01-01", "available_to": "2026-01-01"}, "available_to"),
    ({"service_regions": [987654]}, "service_regions"),
    ({"category": 987654}, "category"),
])
def test_resource_bad_input_writes_nothing(world, bad, field):
    with pytest.raises(ValidationError) as exc:
        services.resource_create(actor=world.users["unit_liaison"], **res_data(world, **bad))
    assert field in exc.value.details
    assert Resource.objects.count() == 0


def test_radius_needs_unit_coordinates(world):
    with pytest.raises(ValidationError) as exc:
        services.resource_create(actor=world.users["unit_liaison_b"], **res_data(world, unit=world.unit_b.pk))
    assert "radius_km" in exc.value.details


def test_resource_status_machine_and_capacity(world):
    liaison = world.users["unit_liaison"]
    r = services.resource_create(actor=liaison, **res_data(world))
    with pytest.raises(TransitionError):
        services.resource_pause(actor=liaison, resource=r)
    Resource.objects.filter(pk=r.pk).update(remaining=Decimal("20"))  # 100 m² committed elsewhere
    with pytest.raises(ValidationError) as exc:
        services.resource_update(actor=liaison, resource=r, capacity="50")
    assert "capacity" in exc.value.details
    services.resource_update(actor=liaison, resource=r, capacity="150")
    r.refresh_from_db()
    assert r.remaining == Decimal("50.00")
    services.resource_withdraw(actor=liaison, resource=r, reason="不再开放")
    with pytest.raises(TransitionError):
        services.resource_offer(actor=liaison, resource=r)
    with pytest.raises(TransitionError):
        services.resource_update(actor=liaison, resource=r, title="x")


def test_expired_resource_cannot_be_offered(world):
    liaison = world.users["unit_liaison"]
    r = services.resource_create(actor=liaison, **res_data(world, available_from="2020-01-01", available_to="2020-12-31"))
    with pytest.raises(TransitionError):
        services.resource_offer(actor=liaison, resource=r)
