"""Hotline import (12345 work orders): a good file, broken rows, GB18030 CSV and .xlsx, duplicates in the file and across
imports, ambiguous region and category names, the outcome recorded through the services, and idempotence."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from gongjian.accounts.models import User
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.core.registry import importer
from gongjian.core.tabular import write_csv, write_xlsx
from gongjian.matters.choices import EventKind, MatterSource, MatterStatus, Satisfaction, Urgency
from gongjian.matters.hotline.importers import Catalogue, HotlineImporter, title_from
from gongjian.matters.models import Matter, MatterCategory
from gongjian.testing import factories as f

from .domain import World, build_world, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree: Any) -> World:
    return build_world(tree)

HEADERS = ["工单编号", "问题分类", "主要内容", "被反映区", "街乡镇", "社区", "紧急程度", "来电时间", "办理结果", "是否解决", "是否满意", "来电人",
           "来电电话"]


def row(ref: str, **kw: str) -> list[str]:
    values = {"工单编号": ref, "问题分类": "住房与物业/老旧小区改造/加装电梯", "主要内容": "市民反映6号楼无电梯。老人上下楼困难，希望加装。",
              "被反映区": "二七区", "街乡镇": "淮河路街道", "社区": "淮河社区", "紧急程度": "", "来电时间": "2026-03-15 09:12:00",
              "办理结果": "", "是否解决": "否", "是否满意": "", "来电人": "张先生", "来电电话": "13800001111"}
    values.update(kw)
    return [values[h] for h in HEADERS]


def csv(rows: list[list[str]]) -> bytes:
    return write_csv(HEADERS, rows)


@pytest.fixture
def root(db: Any) -> User:
    return User.objects.create_superuser(username="root_importer", password=f.PASSWORD)


def test_registered_for_city_and_district_admins() -> None:
    d = importer("matters-hotline")
    assert d.permission == "matters.import" and d.back_url_name == "matters:list"


def test_good_file_as_district_admin_records_the_hotlines_outcome(world: World) -> None:
    erqi = world.u["erqi"]
    rows = [
        row("2026031500001"),
        row("2026031500002", 问题分类="路灯不亮", 主要内容="淮河路与大学路口路灯不亮", 社区="410103001014", 街乡镇="", 紧急程度="紧急",
            办理结果="已更换灯具", 是否解决="是", 是否满意="满意"),
    ]
    imp = HotlineImporter()
    result = imp.check(csv(rows), filename="12345.csv", actor=erqi)
    assert result.ok and result.total == 2, result.errors
    out = imp.apply(result, actor=erqi)
    assert out.as_dict() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0}
    a = Matter.objects.get(external_ref="2026031500001")
    assert a.source == MatterSource.HOTLINE and a.status == MatterStatus.REPORTED and a.community == world.tree.comm_a1
    assert a.title == "市民反映6号楼无电梯" and a.category is not None and a.category.full_name == "住房与物业 › 老旧小区改造 › 加装电梯"
    assert a.category is not None and a.urgency == Urgency.COMPLEX  # the category's default
    assert timezone.localtime(a.reported_at).strftime("%Y-%m-%d %H:%M") == "2026-03-15 09:12"
    assert a.reporter_phone_hash and "13800001111" not in a.reporter_phone_enc and a.reporter_name == "张先生"
    b = Matter.objects.get(external_ref="2026031500002")
    # the hotline handled it: closed as the hotline's outcome, entered by the district administrator, no level acting for another
    assert b.status == MatterStatus.CLOSED and b.community == world.tree.comm_a2 and b.urgency == Urgency.EMERGENCY
    assert b.resolution == "已更换灯具" and b.satisfaction == Satisfaction.SATISFIED and b.description == "淮河路与大学路口路灯不亮"
    events = list(b.events.order_by("at", "id"))
    assert [e.kind for e in events] == [EventKind.REPORTED, EventKind.RESOLVED, EventKind.CALLBACK, EventKind.CLOSED]
    assert all(e.actor_id == erqi.pk for e in events) and all(e.region_id is None for e in events[1:])
    assert events[1].note == "12345热线：已更换灯具" and events[2].note.startswith("12345热线")
    assert AuditEvent.objects.filter(verb="matters.matter.hotline_outcome", target_id=str(b.pk)).count() == 1
    assert b.category is not None and b.category.name == "路灯不亮"
    # the same file again changes nothing
    again = imp.check(csv(rows), filename="12345.csv", actor=erqi)
    assert again.ok
    assert imp.apply(again, actor=erqi).as_dict() == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert Matter.objects.count() == 2


def test_outcome_recorded_through_the_services_and_idempotent(world: World, root: User) -> None:
    imp = HotlineImporter()
    first = imp.check(csv([row("A1"), row("A2", 办理结果="已协调", 是否解决="是", 是否满意="基本满意")]), filename="a.csv", actor=root)
    assert first.ok, first.errors
    imp.apply(first, actor=root)
    a1, a2 = Matter.objects.get(external_ref="A1"), Matter.objects.get(external_ref="A2")
    assert a1.status == MatterStatus.REPORTED
    assert a2.status == MatterStatus.CLOSED and a2.satisfaction == Satisfaction.BASICALLY and a2.resolution == "已协调"
    kinds = list(a2.events.values_list("kind", flat=True))
    assert kinds == [EventKind.REPORTED, EventKind.RESOLVED, EventKind.CALLBACK, EventKind.CLOSED]
    assert all(e.actor_id == root.pk for e in a2.events.all())
    # a later export carries A1's progress: resolved, then an unsatisfied callback → reopened
    later = imp.check(csv([row("A1", 办理结果="已答复", 是否解决="是", 是否满意="不满意"), row("A2", 办理结果="已协调", 是否解决="是",
                                                                                    是否满意="基本满意")]), filename="b.csv", actor=root)
    assert later.ok, later.errors
    assert imp.apply(later, actor=root).as_dict() == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    a1.refresh_from_db()
    assert a1.status == MatterStatus.REOPENED and a1.satisfaction == Satisfaction.UNSATISFIED
    # taking back a resolution, or changing the report, is refused
    back = imp.check(csv([row("A2"), row("A1", 主要内容="完全不同的内容", 办理结果="已答复", 是否解决="是", 是否满意="不满意")]),
                     filename="c.csv", actor=root)
    assert {e.row: e.column for e in back.errors} == {2: "是否解决", 3: "主要内容"}
    assert "A1" in back.errors[1].reason


def test_broken_rows_are_reported_and_nothing_half_imported(world: World) -> None:
    erqi = world.u["erqi"]
    rows = [
        row("B1"),
        row("B2", 社区="不存在社区"),
        row("B3", 是否满意="还行", 办理结果="x", 是否解决="是"),
        row("B4", 是否解决="是"),  # solved without a result
        row("B5", 是否满意="满意"),  # satisfied but not solved
        row("B6", 来电时间="2099-01-01 10:00"),
        row("B1"),  # duplicate in the file
        row("B8", 社区="省供销社社区", 街乡镇="花园路街道", 被反映区="金水区"),  # not in 二七区's area
        row("B9", 来电电话="12345"),
        row("B10", 紧急程度="十万火急"),
        row("B/11"),
    ]
    imp = HotlineImporter()
    result = imp.check(csv(rows), filename="b.csv", actor=erqi)
    assert result.total == 11 and len(result.valid) == 1
    cols = {e.row: e.column for e in result.errors}
    assert cols == {3: "社区", 4: "是否满意", 5: "办理结果", 6: "是否满意", 7: "来电时间", 8: "工单编号", 9: "社区", 10: "来电电话",
                    11: "紧急程度", 12: "工单编号"}
    assert "第2行" in next(e.reason for e in result.errors if e.row == 8) or "2" in next(e.reason for e in result.errors if e.row == 8)
    with pytest.raises(ValidationError):
        imp.apply(result, actor=erqi, mode="all")
    assert Matter.objects.count() == 0
    out = imp.apply(result, actor=erqi, mode="valid")
    assert out.created == 1 and out.skipped == 10 and Matter.objects.get().external_ref == "B1"


def test_gb18030_csv_and_xlsx(world: World) -> None:
    erqi = world.u["erqi"]
    text = ",".join(HEADERS) + "\n" + ",".join(row("G1", 问题分类="加装电梯")) + "\n"
    imp = HotlineImporter()
    result = imp.check(text.encode("gb18030"), filename="gb.csv", actor=erqi)
    assert result.ok and result.valid[0][1]["category"].name == "加装电梯"
    imp.apply(result, actor=erqi)
    x = imp.check(write_xlsx(HEADERS, [row("X1", 来电时间="2026/3/16 8:05")]), filename="x.xlsx", actor=erqi)
    assert x.ok, x.errors
    imp.apply(x, actor=erqi)
    assert timezone.localtime(Matter.objects.get(external_ref="X1").reported_at).strftime("%m-%d %H:%M") == "03-16 08:05"
    assert Matter.objects.filter(external_ref__in=["G1", "X1"]).count() == 2


def test_ambiguous_region_names_name_the_candidates(world: World) -> None:
    t = world.tree
    other_sub = f.region("410103002000", "大学路街道", "subdistrict", t.erqi)
    f.region("410103002001", "淮河社区", "community", other_sub)
    imp = HotlineImporter()
    city = world.u["city"]
    result = imp.check(csv([row("R1", 街乡镇=""), row("R2"), row("R3", 街乡镇="大学路街道"), row("R4", 社区="410103002001", 街乡镇="")]),
                       filename="r.csv", actor=city)
    assert [e.row for e in result.errors] == [2]
    reason = result.errors[0].reason
    assert "淮河路街道淮河社区" in reason.replace("二七区", "").replace("郑州市", "") or ("淮河社区" in reason and "大学路街道" in reason)
    assert [d["community"].code for _r, d in result.valid] == ["410103001001", "410103002001", "410103002001"]


def test_category_matching() -> None:
    root = MatterCategory.objects.create(name="测试类", level=1, full_name="测试类")
    mid = MatterCategory.objects.create(name="设施", parent=root, level=2, full_name="测试类 › 设施")
    MatterCategory.objects.create(name="路灯不亮", parent=mid, level=3, full_name="测试类 › 设施 › 路灯不亮")  # the same leaf twice
    cat: Any = Catalogue()
    assert cat.match("住房与物业 > 老旧小区改造 > 加装电梯").name == "加装电梯"
    assert cat.match("城市管理-市政设施-路灯不亮").full_name == "城市管理 › 市政设施 › 路灯不亮"
    assert cat.match("加装电梯申请").name == "加装电梯"  # fuzzy, but only one fits
    with pytest.raises(ValidationError) as exc:
        cat.match("路灯不亮")
    assert "测试类" in str(exc.value.details) and "城市管理" in str(exc.value.details)
    with pytest.raises(ValidationError):
        cat.match("外星人入侵")
    assert cat.match("") is None
    MatterCategory.objects.create(name="其他", level=1, full_name="其他")
    cat = Catalogue()
    assert cat.match("外星人入侵").name == "其他" and cat.match("").name == "其他"


def test_title_from_content() -> None:
    assert title_from("小区路灯不亮。已经一周了") == "小区路灯不亮"
    assert len(title_from("很" * 300)) == 60


def test_import_pages_for_city_and_district_admins_only(world: World, client: Any) -> None:
    client.force_login(world.u["erqi"])
    assert client.get("/imports/matters-hotline/template/?format=csv").content.decode("utf-8-sig").startswith("工单编号*,问题分类")
    assert client.get("/imports/matters-hotline/").status_code == 200
    client.force_login(world.u["comm_a1"])  # a community administrator does not import work orders
    assert client.get("/imports/matters-hotline/").status_code == 404


def test_hotline_outcome_only_for_orders_the_workflow_has_not_taken_further(world: World, root: User) -> None:
    """An order the community has escalated is the owner's to finish: the import refuses the hotline's outcome (a row error,
    nothing changes); a staff-reported matter never takes it; a resolved order then gets the hotline's callback."""
    from gongjian.core.errors import TransitionError
    from gongjian.matters import services as svc

    imp = HotlineImporter()
    imp.apply(imp.check(csv([row("C1"), row("C2")]), filename="c.csv", actor=root), actor=root)
    c1 = Matter.objects.get(external_ref="C1")
    svc.matter_accept(actor=root, matter=c1)
    svc.matter_escalate(actor=root, matter=c1, reason="需街道协调")
    version = Matter.objects.get(pk=c1.pk).version
    res = imp.check(csv([row("C1", 办理结果="已办结", 是否解决="是")]), filename="d.csv", actor=root)
    assert [(e.row, e.column) for e in res.errors] == [(2, "是否解决")] and "C1" in res.errors[0].reason
    assert Matter.objects.get(pk=c1.pk).version == version and Matter.objects.get(pk=c1.pk).status == MatterStatus.ESCALATED
    with pytest.raises(TransitionError):
        svc.matter_hotline_outcome(actor=root, matter=c1, resolution="已办结")
    staff = report(world, title="井盖缺失")
    with pytest.raises(TransitionError):
        svc.matter_hotline_outcome(actor=root, matter=staff, resolution="已办结")
    # resolved without a callback, then the hotline's callback arrives in a later export
    c2 = Matter.objects.get(external_ref="C2")
    imp.apply(imp.check(csv([row("C2", 办理结果="已答复", 是否解决="是")]), filename="e.csv", actor=root), actor=root)
    c2.refresh_from_db()
    assert c2.status == MatterStatus.RESOLVED and c2.callback_at is None
    imp.apply(imp.check(csv([row("C2", 办理结果="已答复", 是否解决="是", 是否满意="满意")]), filename="f.csv", actor=root), actor=root)
    c2.refresh_from_db()
    assert c2.status == MatterStatus.CLOSED and c2.satisfaction == Satisfaction.SATISFIED
    # bad input changes nothing
    with pytest.raises(ValidationError):
        svc.matter_hotline_outcome(actor=root, matter=Matter.objects.get(external_ref="C2"), resolution="", satisfaction="很好")


def test_hotline_outcome_needs_the_import_permission_and_scope(world: World) -> None:
    from gongjian.core.errors import NotFound, PermissionDenied
    from gongjian.matters import services as svc

    imp = HotlineImporter()
    erqi = world.u["erqi"]
    imp.apply(imp.check(csv([row("D1")]), filename="d.csv", actor=erqi), actor=erqi)
    d1 = Matter.objects.get(external_ref="D1")
    with pytest.raises(PermissionDenied):
        svc.matter_hotline_outcome(actor=world.u["comm_a1"], matter=d1, resolution="已办结")
    with pytest.raises(NotFound):
        svc.matter_hotline_outcome(actor=world.u["jinshui"], matter=d1, resolution="已办结")
    assert Matter.objects.get(pk=d1.pk).status == MatterStatus.REPORTED
