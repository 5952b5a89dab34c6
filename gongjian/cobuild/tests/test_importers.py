from __future__ import annotations

import pytest

from gongjian.cobuild.importers import NeedImporter, ResourceImporter
from gongjian.cobuild.models import Need, Resource
from gongjian.core.errors import ValidationError
from gongjian.core.tabular import write_csv


def csv(headers, rows):
    return write_csv(headers, rows)


NEED_HEADERS = ["标题", "社区代码", "说明", "类别", "纬度", "经度", "数量", "计量单位", "需求开始日期", "需求截止日期", "紧急程度", "来源"]


def test_need_import_row_errors_all_or_valid_and_idempotent(world):
    admin = world.users["community_admin"]
    rows = [
        ["为独居老人配送午餐", "410103001001", "12位老人", "助老", "34.74", "113.63", "12", "人", "2026-12-01", "2027-02-28", "紧急", "社区工作人员"],
        ["坏坐标", "410103001001", "", "", "95", "113", "", "", "", "", "", ""],
        ["倒置期限", "410103001001", "", "", "", "", "", "", "2027-03-01", "2027-01-01", "", ""],
        ["未知类别", "410103001001", "", "不存在的类", "", "", "", "", "", "", "", ""],
        ["别的社区", "410105002003", "", "", "", "", "", "", "", "", "", ""],
        ["负数量", "410103001001", "", "", "", "", "-2", "", "", "", "", ""],
    ]
    imp = NeedImporter()
    result = imp.check(csv(NEED_HEADERS, rows), filename="n.csv", actor=admin)
    assert result.total == 6 and len(result.valid) == 1
    by_row = {e.row: e.column for e in result.errors}
    assert by_row == {3: "纬度", 4: "需求截止日期", 5: "类别", 6: "社区代码", 7: "数量"}
    with pytest.raises(ValidationError):
        imp.apply(result, actor=admin, mode="all")
    assert Need.objects.count() == 0
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 1 and out.skipped == 5
    n = Need.objects.get()
    assert n.urgency == "urgent" and n.category == world.cat and n.status == "draft"
    again = imp.check(csv(NEED_HEADERS, rows[:1]), filename="n.csv", actor=admin)
    assert imp.apply(again, actor=admin).as_dict() == {"created": 0, "updated": 0, "unchanged": 1, "skipped": 0}
    changed = [[*rows[0][:2], "改了描述", *rows[0][3:]]]
    res = imp.check(csv(NEED_HEADERS, changed), filename="n.csv", actor=admin)
    assert imp.apply(res, actor=admin).updated == 1 and Need.objects.get().description == "改了描述"


RES_HEADERS = ["单位统一社会信用代码", "标题", "类型", "类别", "容量", "容量单位", "服务半径（公里）", "服务区域代码",
               "可提供开始日期", "可提供截止日期"]


def test_resource_import(world):
    liaison = world.users["unit_liaison"]
    a, b = world.unit_a.uscc, world.unit_b.uscc
    rows = [
        [a, "党员活动室", "场地", "场地", "120", "平方米", "3", "410103001001;410103001014", "2026-01-01", "2030-12-31"],
        [a, "负容量", "场地", "", "-5", "平方米", "", "", "", ""],
        [b, "别人的单位", "资金", "", "100", "元", "", "", "", ""],
        [a, "未知区域", "物资", "", "", "", "", "999999999999", "", ""],
        [a, "期限倒置", "物资", "", "", "", "", "", "2027-01-01", "2026-01-01"],
        [a, "未知类别", "物资", "外星类", "", "", "", "", "", ""],
    ]
    imp = ResourceImporter()
    result = imp.check(csv(RES_HEADERS, rows), filename="r.csv", actor=liaison)
    assert len(result.valid) == 1
    assert {e.row: e.column for e in result.errors} == {3: "容量", 4: "单位统一社会信用代码", 5: "服务区域代码", 6: "可提供截止日期", 7: "类别"}
    assert imp.apply(result, actor=liaison, mode="valid").created == 1
    r = Resource.objects.get()
    assert r.capacity_unit == "m2" and r.service_regions.count() == 2 and r.kind == "venue"
    again = imp.check(csv(RES_HEADERS, rows[:1]), filename="r.csv", actor=liaison)
    assert imp.apply(again, actor=liaison).unchanged == 1 and Resource.objects.count() == 1


def test_templates_download(world, client):
    client.force_login(world.users["community_admin"])
    for kind in ("cobuild-needs", "cobuild-resources"):
        r = client.get(f"/imports/{kind}/template/")
        assert r.status_code == 200, kind
