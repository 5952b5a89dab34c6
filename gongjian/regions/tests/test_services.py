from __future__ import annotations

from typing import Any

import pytest

from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.regions import services
from gongjian.regions.models import DelegatedPower, Department, GovernanceCommittee, Office, OfficeTemplate, Region, StaffQuota
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _counts():
    return (Region.objects.count(), AuditEvent.objects.count(), Department.objects.count(), Office.objects.count(), StaffQuota.objects.count())


def test_create_community_with_path_depth_full_name_and_audit(tree, actors):
    r = services.region_create(actor=actors.erqi, code="410103001020", name="新建社区", level="community", parent=tree.sub_a)
    assert r.path == tree.sub_a.path + "410103001020/"
    assert r.depth == 3
    assert r.full_name == "郑州市二七区淮河路街道新建社区"
    ev = AuditEvent.objects.get(verb="region.create", target_id=str(r.pk))
    assert ev.actor == actors.erqi and ev.region_path == r.path


def test_functional_zone_district_code_is_valid(tree):
    admin = factories.user(None, is_superuser=True)
    zone = services.region_create(actor=admin, code="410171", name="郑州经济技术开发区", level="district", parent=tree.city, kind="zone")
    assert zone.kind == "zone" and zone.path == "/410100/410171/"


@pytest.mark.parametrize(
    ("code", "level", "field", "fragment"),
    [
        ("41010300100", "community", "code", "12"),  # too short
        ("4101030010a1", "community", "code", "数字"),
        ("410103001000", "community", "code", "000"),  # looks like a subdistrict
        ("410105002099", "community", "code", "410103001"),  # wrong prefix
        ("410103001001", "community", "code", "已被"),  # duplicate of 淮河社区
        ("410103001099", "subdistrict", "level", "低一级"),  # wrong level under a subdistrict
        ("410103001099", "nonsense", "level", "无法识别"),
    ],
)
def test_create_rejects_bad_codes_and_levels_and_writes_nothing(tree, actors, code, level, field, fragment):
    before = _counts()
    with pytest.raises(ValidationError) as err:
        services.region_create(actor=actors.erqi, code=code, name="测试社区", level=level, parent=tree.sub_a)
    assert field in err.value.details
    assert fragment in " ".join(str(m) for m in err.value.details[field])
    assert _counts() == before


def test_duplicate_code_error_is_chinese_and_names_the_holder(tree, actors, settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as err:
        services.region_create(actor=actors.erqi, code="410103001001", name="重复社区", level="community", parent=tree.sub_a)
    msg = str(err.value.details["code"][0])
    assert "淮河社区" in msg and "已" in msg


def test_sibling_name_must_be_unique(tree, actors):
    with pytest.raises(ValidationError) as err:
        services.region_create(actor=actors.erqi, code="410103001030", name="淮河社区", level="community", parent=tree.sub_a)
    assert "name" in err.value.details


def test_out_of_scope_parent_is_not_found_and_wrong_role_is_forbidden(tree, actors):
    with pytest.raises(NotFound):
        services.region_create(actor=actors.erqi, code="410105002030", name="外区社区", level="community", parent=tree.sub_b)
    with pytest.raises(PermissionDenied):
        services.region_create(actor=actors.sub_a, code="410103001030", name="社区", level="community", parent=tree.sub_a)
    assert not Region.objects.filter(code__in=["410105002030", "410103001030"]).exists()


def test_district_admin_cannot_rename_own_district_but_city_can(tree, actors):
    with pytest.raises(PermissionDenied):
        services.region_update(actor=actors.erqi, region=tree.erqi, name="新二七区")
    services.region_update(actor=actors.city, region=tree.erqi, name="新二七区")
    assert Region.objects.get(pk=tree.comm_a1.pk).full_name == "郑州市新二七区淮河路街道淮河社区"


def test_rename_updates_descendants_full_name(tree, actors):
    services.region_update(actor=actors.erqi, region=tree.sub_a, name="淮河街道")
    assert Region.objects.get(pk=tree.comm_a2.pk).full_name == "郑州市二七区淮河街道路砦社区"
    assert AuditEvent.objects.filter(verb="region.update", target_id=str(tree.sub_a.pk)).exists()


def test_move_subdistrict_recodes_descendants_and_records_follow(tree, actors):
    quota = StaffQuota.objects.create(subdistrict=tree.sub_a, region_path=tree.sub_a.path, count=5, year=2025)
    dept_path_before = tree.dept_erqi.region_path
    moved = services.region_update(actor=actors.city, region=tree.sub_a, parent=tree.jinshui, code="410105009000")
    assert moved.path == "/410100/410105/410105009000/"
    comm = Region.objects.get(pk=tree.comm_a1.pk)
    assert comm.code == "410105009001"
    assert comm.path == "/410100/410105/410105009000/410105009001/"
    assert comm.full_name == "郑州市金水区淮河路街道淮河社区"
    quota.refresh_from_db()
    assert quota.region_path == moved.path
    tree.dept_erqi.refresh_from_db()
    assert tree.dept_erqi.region_path == dept_path_before
    assert AuditEvent.objects.filter(verb="region.move").count() == 1


def test_move_with_code_not_matching_new_parent_fails_and_changes_nothing(tree, actors):
    before = list(Region.objects.order_by("pk").values_list("code", "path", "full_name"))
    with pytest.raises(ValidationError) as err:
        services.region_update(actor=actors.city, region=tree.sub_a, parent=tree.jinshui)
    assert "code" in err.value.details
    with pytest.raises(ValidationError):
        services.region_update(actor=actors.city, region=tree.erqi, parent=tree.sub_b)
    assert list(Region.objects.order_by("pk").values_list("code", "path", "full_name")) == before


def test_deactivate_refuses_with_active_children_then_works(tree, actors):
    with pytest.raises(ValidationError):
        services.region_deactivate(actor=actors.erqi, region=tree.sub_a)
    services.region_deactivate(actor=actors.erqi, region=tree.comm_a1)
    services.region_deactivate(actor=actors.erqi, region=tree.comm_a2)
    services.region_deactivate(actor=actors.erqi, region=tree.sub_a)
    assert not Region.objects.get(pk=tree.sub_a.pk).is_active
    with pytest.raises(ValidationError):
        services.region_create(actor=actors.erqi, code="410103001050", name="新社区", level="community", parent=tree.sub_a)
    with pytest.raises(ValidationError):
        services.region_activate(actor=actors.erqi, region=tree.comm_a1)
    services.region_activate(actor=actors.erqi, region=tree.sub_a)
    services.region_activate(actor=actors.erqi, region=tree.comm_a1)
    assert Region.objects.get(pk=tree.comm_a1.pk).is_active


def test_departments_create_update_deactivate(tree, actors):
    d = services.department_create(actor=actors.erqi, region=tree.erqi, name="二七区财政局", kind="finance", phone="0371-68812345")
    assert d.region_path == tree.erqi.path
    with pytest.raises(ValidationError) as err:
        services.department_create(actor=actors.erqi, region=tree.erqi, name="二七区财政局", kind="finance")
    assert "name" in err.value.details
    with pytest.raises(ValidationError) as err:
        services.department_create(actor=actors.erqi, region=tree.erqi, name="某局", kind="nope", phone="=1+1")
    assert set(err.value.details) == {"kind", "phone"}
    with pytest.raises(ValidationError):
        services.department_create(actor=actors.erqi, region=tree.sub_a, name="街道民政", kind="civil_affairs")
    with pytest.raises(NotFound):
        services.department_create(actor=actors.erqi, region=tree.jinshui, name="金水区财政局", kind="finance")
    with pytest.raises(NotFound):
        services.department_update(actor=actors.erqi, department=tree.dept_jinshui, name="x")
    services.department_update(actor=actors.erqi, department=d, name="二七区财政局（新）")
    services.department_deactivate(actor=actors.erqi, department=d)
    d.refresh_from_db()
    assert not d.is_active and d.name == "二七区财政局（新）"
    verbs = list(AuditEvent.objects.filter(target_type="regions.department", target_id=str(d.pk)).values_list("verb", flat=True))
    assert sorted(verbs) == ["department.create", "department.deactivate", "department.update"]


def test_committee_with_member_departments(tree, actors):
    fin = services.department_create(actor=actors.erqi, region=tree.erqi, name="二七区财政局", kind="finance")
    c = services.committee_save(actor=actors.erqi, region=tree.erqi, department_ids=[tree.dept_erqi.pk, fin.pk], director="张三")
    assert "二七区" in c.name
    assert set(c.departments.values_list("pk", flat=True)) == {tree.dept_erqi.pk, fin.pk}
    with pytest.raises(ValidationError) as err:
        services.committee_save(actor=actors.erqi, region=tree.erqi, department_ids=[tree.dept_jinshui.pk])
    assert "departments" in err.value.details
    assert c.departments.count() == 2
    services.committee_save(actor=actors.erqi, region=tree.erqi, name="二七区社工委", department_ids=[fin.pk])
    assert GovernanceCommittee.objects.get(region=tree.erqi).departments.count() == 1
    with pytest.raises(ValidationError):
        services.committee_save(actor=actors.city, region=tree.sub_a)
    with pytest.raises(PermissionDenied):
        services.committee_save(actor=actors.sub_a, region=tree.erqi)


def test_structure_from_templates_offices_and_quotas(tree, actors):
    assert OfficeTemplate.objects.filter(is_active=True).count() == 10
    offices = services.structure_instantiate(actor=actors.sub_a, subdistrict=tree.sub_a)
    kinds = [o.kind for o in offices]
    assert (kinds.count("office"), kinds.count("centre"), kinds.count("station")) == (6, 3, 1)
    assert services.structure_instantiate(actor=actors.sub_a, subdistrict=tree.sub_a) == []  # idempotent
    extra = services.office_create(actor=actors.sub_a, subdistrict=tree.sub_a, name="应急管理办公室", kind="office")
    with pytest.raises(ValidationError):
        services.office_create(actor=actors.sub_a, subdistrict=tree.sub_a, name="应急管理办公室", kind="office")
    with pytest.raises(ValidationError) as err:
        services.office_create(actor=actors.sub_a, subdistrict=tree.sub_a, name="", kind="room")
    assert set(err.value.details) == {"name", "kind"}
    services.office_update(actor=actors.sub_a, office=extra, name="应急办")
    services.office_deactivate(actor=actors.sub_a, office=extra)
    extra.refresh_from_db()
    assert extra.name == "应急办" and not extra.is_active
    with pytest.raises(NotFound):
        services.office_create(actor=actors.sub_a, subdistrict=tree.sub_b, name="x", kind="office")
    with pytest.raises(ValidationError):
        services.office_create(actor=actors.erqi, subdistrict=tree.comm_a1, name="x", kind="office")

    q1 = services.quota_create(actor=actors.sub_a, subdistrict=tree.sub_a, count=20, year=2025, office=offices[0])
    services.quota_create(actor=actors.sub_a, subdistrict=tree.sub_a, count=5, year=2025, moved_down=False)
    other_office = Office.objects.create(subdistrict=tree.sub_b, region_path=tree.sub_b.path, name="外街道办", kind="office")
    before = _counts()
    bads: list[dict[str, Any]] = [{"count": 0}, {"count": -3}, {"count": "x"}, {"year": 1800}]
    for bad in bads:
        with pytest.raises(ValidationError):
            services.quota_create(actor=actors.sub_a, subdistrict=tree.sub_a, **{"count": 1, "year": 2025, **bad})
    with pytest.raises(ValidationError) as err:
        services.quota_create(actor=actors.sub_a, subdistrict=tree.sub_a, count=1, year=2025, office=other_office)
    assert "office" in err.value.details
    assert _counts() == before
    services.quota_update(actor=actors.sub_a, quota=q1, count=25, year=2025, office=offices[0])
    from gongjian.regions import selectors

    s = selectors.structure_get(actor=actors.sub_a, subdistrict=tree.sub_a)
    assert s.totals["positions"] == 30 and s.totals["moved_down"] == 25 and s.totals["unassigned"] == 5
    shown: list[Any] = list(s.offices)
    assert next(o for o in shown if o.pk == offices[0].pk).quota_total == 25
    services.quota_delete(actor=actors.sub_a, quota=q1)
    assert AuditEvent.objects.filter(verb="quota.delete").count() == 1


def test_office_templates_are_configurable(tree, actors):
    tpl = services.office_template_save(actor=actors.city, name="网格管理中心", kind="centre", order=11)
    with pytest.raises(PermissionDenied):
        services.office_template_save(actor=actors.erqi, name="x", kind="office")
    with pytest.raises(ValidationError):
        services.office_template_save(actor=actors.city, name="党建工作办公室", kind="office")
    station = OfficeTemplate.objects.get(kind="station")
    services.office_template_save(actor=actors.city, template=station, name=station.name, kind="station", order=station.order, is_active=False)
    offices = services.structure_instantiate(actor=actors.erqi, subdistrict=tree.sub_a)
    names = {o.name for o in offices}
    assert tpl.name in names and station.name not in names and len(offices) == 10


def test_delegated_powers(tree, actors):
    p = services.power_create(actor=actors.erqi, region=tree.erqi, name="对派驻机构综合执法的指挥调度权", legal_basis="郑办〔2019〕")
    with pytest.raises(ValidationError):
        services.power_create(actor=actors.erqi, region=tree.erqi, name="对派驻机构综合执法的指挥调度权")
    with pytest.raises(ValidationError):
        services.power_create(actor=actors.city, region=tree.sub_a, name="x")
    with pytest.raises(PermissionDenied):
        services.power_create(actor=actors.sub_a, region=tree.erqi, name="x")
    with pytest.raises(NotFound):
        services.power_deactivate(actor=actors.jinshui, power=p)
    services.power_update(actor=actors.erqi, power=p, name="综合执法指挥调度权")
    services.power_deactivate(actor=actors.erqi, power=p)
    p.refresh_from_db()
    assert p.name == "综合执法指挥调度权" and not p.is_active
    assert DelegatedPower.objects.count() == 1


def test_new_subdistrict_starts_from_the_standard_structure(tree, actors):
    sub = services.region_create(actor=actors.erqi, code="410103002000", name="新街道", level="subdistrict", parent=tree.erqi)
    kinds = list(Office.objects.filter(subdistrict=sub).values_list("kind", flat=True))
    assert (kinds.count("office"), kinds.count("centre"), kinds.count("station")) == (6, 3, 1)
    assert AuditEvent.objects.filter(verb="office.instantiate", target_id=str(sub.pk)).exists()


def test_grid_below_a_community(tree, actors):
    grid = services.region_create(actor=actors.erqi, code="410103001001001", name="第一网格", level="grid", parent=tree.comm_a1)
    assert grid.depth == 4 and grid.kind == "grid"
    with pytest.raises(ValidationError):
        services.region_create(actor=actors.erqi, code="410103001002001", name="错网格", level="grid", parent=tree.comm_a1)
