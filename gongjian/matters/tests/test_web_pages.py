"""Matter pages: the work queue, the list (filters, pagination, export with masked phones, empty states), the matter
page (facts, masked phone and audited reveal, deadlines, map, timeline, attachments, the forms the viewer may use),
reporting (staff and the residents' phone form), the department's queue and assignment page, nav and home panels.

Every write goes through the real services; the permission matrix and hostile input are in test_web_matrix.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from gongjian.core.models import AuditEvent
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentStatus, MatterSource, MatterStatus
from gongjian.matters.models import Assignment, Matter, MatterAttachment, MatterCategory

from .domain import World, accepted, at_level, build_world, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(tree: Any) -> World:
    return build_world(tree)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client: Any, user: Any) -> Any:
    client.logout()
    client.force_login(user)
    return client


def detail(m: Matter) -> str:
    return reverse("matters:matter_detail", args=[m.pk])


def act(m: Matter, action: str) -> str:
    return reverse("matters:action", args=[m.pk, action])


def fresh(m: Matter) -> Matter:
    return Matter.objects.get(pk=m.pk)


def post(client: Any, m: Matter, action: str, **data: Any) -> Any:
    """Post an action form the way the page does (prefixed fields, the version the page showed)."""
    payload = {f"{action}-{k}": v for k, v in data.items()}
    payload.setdefault(f"{action}-version", str(fresh(m).version))
    return client.post(act(m, action), payload)


def jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(buf, format="JPEG")
    return buf.getvalue()


def leaf() -> MatterCategory:
    top, _c = MatterCategory.objects.get_or_create(name="测试大类", parent=None, defaults={"level": 1, "full_name": "测试大类"})
    mid, _c = MatterCategory.objects.get_or_create(name="测试中类", parent=top, defaults={"level": 2, "full_name": "测试大类 › 测试中类"})
    low, _c = MatterCategory.objects.get_or_create(name="测试小类", parent=mid,
                                                   defaults={"level": 3, "full_name": "测试大类 › 测试中类 › 测试小类"})
    return low


# --- the work queue --------------------------------------------------------------------------


def test_queue_counts_what_waits_and_opens_the_first_busy_tab(w: World, client: Any) -> None:
    new = report(w, title="路灯不亮")
    accepted(w, title="井盖缺失")
    login(client, w.u["comm_a1"])
    resp = client.get(reverse("matters:queue"))
    assert resp.status_code == 200
    tabs = {t["key"]: t["count"] for t in resp.context["tabs"]}
    assert tabs["to_accept"] == 1 and tabs["to_decide"] == 1 and tabs["overdue"] == 0
    assert resp.context["current"] == "to_accept"
    html = resp.content.decode()
    assert "路灯不亮" in html and "井盖缺失" not in html and f'data-matter="{new.pk}"' in html
    assert "待受理" in html and "待研判" in html
    resp = client.get(reverse("matters:queue"), {"tab": "to_decide"})
    assert "井盖缺失" in resp.content.decode() and "路灯不亮" not in resp.content.decode()
    assert client.get(reverse("matters:queue"), {"tab": "<script>"}).status_code == 200


def test_queue_of_the_subdistrict_and_overdue_tab(w: World, client: Any) -> None:
    m = at_level(w, "subdistrict", title="楼道堆物")
    Matter.objects.filter(pk=m.pk).update(is_overdue=True)
    login(client, w.u["sub_a"])
    resp = client.get(reverse("matters:queue"))
    tabs = {t["key"]: t["count"] for t in resp.context["tabs"]}
    assert tabs["to_decide"] == 1 and tabs["overdue"] == 1 and "to_accept" not in tabs and "mine" not in tabs
    html = client.get(reverse("matters:queue"), {"tab": "overdue"}).content.decode()
    assert "楼道堆物" in html and "data-overdue" in html
    login(client, w.u["comm_a2"])
    tabs = {t["key"]: t["count"] for t in client.get(reverse("matters:queue")).context["tabs"]}
    assert sum(tabs.values()) == 0
    assert "暂无待办" in client.get(reverse("matters:queue")).content.decode()


def test_queue_sends_handlers_and_residents_to_their_pages_and_refuses_others(w: World, client: Any) -> None:
    login(client, w.u["h_erqi"])
    resp = client.get(reverse("matters:queue"))
    assert resp.status_code == 302 and resp["Location"] == reverse("matters:dept_queue")
    login(client, w.u["resident"])
    resp = client.get(reverse("matters:queue"))
    assert resp.status_code == 302 and resp["Location"] == reverse("matters:report")
    login(client, w.u["nobody"])
    assert client.get(reverse("matters:queue")).status_code == 404
    assert client.get(reverse("matters:list")).status_code == 404
    client.logout()
    assert client.get(reverse("matters:queue")).status_code == 302


# --- the list and the export -------------------------------------------------------------------


def test_list_filters_search_scope_and_pagination(w: World, client: Any, django_assert_max_num_queries: Any) -> None:
    cat = leaf()
    a = report(w, title="电梯故障", category=cat.pk, urgency="emergency")
    b = accepted(w, title="污水外溢")
    report(w, actor="comm_a2", title="路砦社区的事", community=w.tree.comm_a2)
    report(w, actor="comm_b1", title="金水区的事", community=w.tree.comm_b1)
    Matter.objects.filter(pk=b.pk).update(is_overdue=True)
    login(client, w.u["comm_a1"])

    def titles(**params: Any) -> set[str]:
        resp = client.get(reverse("matters:list"), params)
        assert resp.status_code == 200
        return {m.title for m in resp.context["page"].object_list}

    assert titles() == {"电梯故障", "污水外溢"}  # not the other communities'
    assert titles(status="accepted") == {"污水外溢"}
    assert titles(status="open") == {"电梯故障", "污水外溢"}
    assert titles(urgency="emergency") == {"电梯故障"}
    assert titles(category=str(cat.parent.parent_id)) == {"电梯故障"}  # type: ignore[union-attr]  # a level-1 category takes its sub-categories
    assert titles(overdue="1") == {"污水外溢"}
    assert titles(q=fresh(a).number) == {"电梯故障"}
    assert titles(q="污水") == {"污水外溢"}
    assert titles(source=MatterSource.STAFF) == {"电梯故障", "污水外溢"}
    today = timezone.localdate()
    assert titles(**{"from": str(today), "to": str(today)}) == {"电梯故障", "污水外溢"}
    assert titles(**{"from": str(today + dt.timedelta(days=1))}) == set()
    assert titles(owner="me") == {"电梯故障", "污水外溢"}
    assert titles(status="bogus", urgency="x", **{"from": "yesterday"}) == {"电梯故障", "污水外溢"}  # bad values are ignored
    assert titles(category="x") == set() and titles(region="99999999999999999999") == set()
    html = client.get(reverse("matters:list"), {"q": "没有这样的事"}).content.decode()
    assert "没有符合条件的事项" in html
    login(client, w.u["erqi"])
    assert titles() == set()  # nothing escalated to the district yet
    login(client, w.u["city"])
    for i in range(45):
        report(w, title=f"批量{i}")
    login(client, w.u["comm_a1"])
    with django_assert_max_num_queries(16):
        resp = client.get(reverse("matters:list"), {"size": "20", "page": "3"})
    assert resp.context["page"].number == 3 and len(resp.context["page"].object_list) == 7
    with django_assert_max_num_queries(16):
        client.get(reverse("matters:list"), {"size": "100"})


def test_list_empty_state_without_matters(w: World, client: Any) -> None:
    login(client, w.u["comm_a2"])
    html = client.get(reverse("matters:list")).content.decode()
    assert "暂无事项" in html and 'id="matter-table"' not in html


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_masks_the_reporter_phone_and_keeps_filters(w: World, client: Any, fmt: str) -> None:
    report(w, title="=HYPERLINK(\"http://x\")", reporter_phone="13812345678")
    report(w, title="另一件", reporter_phone="13900001111", urgency="emergency")
    report(w, actor="comm_b1", title="别处", community=w.tree.comm_b1)
    login(client, w.u["comm_a1"])
    resp = client.get(reverse("matters:export"), {"format": fmt, "urgency": "general"})
    assert resp.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    else:
        ws: Any = load_workbook(io.BytesIO(resp.content)).active
        rows = [[("" if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert "反映人电话" in header and "事项编号" in header
    assert len(body) == 1
    phone = body[0][header.index("反映人电话")]
    assert phone == "138****5678"
    blob = resp.content.decode("utf-8", "ignore") if fmt == "csv" else str(rows)
    assert "13812345678" not in blob and "13900001111" not in blob and "别处" not in blob
    assert not body[0][header.index("标题")].startswith("=")  # formula neutralised


def test_export_is_for_those_who_see_matters_only(w: World, client: Any) -> None:
    login(client, w.u["nobody"])
    assert client.get(reverse("matters:export")).status_code == 404


# --- the matter page -------------------------------------------------------------------------


def test_detail_shows_facts_masked_phone_deadlines_map_and_timeline(w: World, client: Any) -> None:
    cat = leaf()
    m = report(w, title="<b>路面塌陷</b>", category=cat.pk, lat="34.745", lng="113.64", address="淮河东路口")
    login(client, w.u["comm_a1"])
    resp = client.get(detail(m))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "&lt;b&gt;路面塌陷&lt;/b&gt;" in html and "<b>路面塌陷</b>" not in html
    assert "测试大类 › 测试中类 › 测试小类" in html
    assert "138****5678" in html and "13812345678" not in html
    assert 'id="matter-map"' in html and 'data-lat="34.745000"' in html and "vendor/leaflet/leaflet.js" in html
    assert "淮河东路口" in html and "34.745000, 113.640000" in html  # the coordinates stay readable without tiles
    assert 'id="timeline"' in html and 'data-kind="reported"' in html
    assert 'data-countdown="ok"' in html or 'data-countdown="soon"' in html
    assert resp.context["actions"] == {"accept", "reject", "attach"}
    assert 'id="action-accept"' in html and 'id="action-assign"' not in html
    assert f'name="accept-version" value="{m.version}"' in html


def test_detail_without_coordinates_has_no_map(w: World, client: Any) -> None:
    m = report(w)
    html = login(client, w.u["comm_a1"]).get(detail(m)).content.decode()
    assert 'id="matter-map"' not in html and "leaflet.js" not in html and "未提供坐标" in html


def test_reveal_phone_is_audited_and_only_for_administrators_on_the_path(w: World, client: Any) -> None:
    m = accepted(w)
    login(client, w.u["comm_a1"])
    assert 'data-action="reveal"' in client.get(detail(m)).content.decode()
    resp = client.post(reverse("matters:reveal", args=[m.pk]))
    assert resp.status_code == 200 and "13812345678" in resp.content.decode() and resp["Cache-Control"] == "no-store"
    ev = AuditEvent.objects.filter(verb="pii.read", target_id=str(m.pk)).get()
    assert ev.actor_id == w.u["comm_a1"].pk and ev.changes == {"fields": ["reporter_phone"]}
    # the subdistrict does not see a matter not escalated to it; the department and the resident may not reveal
    login(client, w.u["sub_a"])
    assert client.post(reverse("matters:reveal", args=[m.pk])).status_code == 404
    svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="需街道协调")
    assert client.post(reverse("matters:reveal", args=[m.pk])).status_code == 200
    svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi.pk)
    login(client, w.u["h_erqi"])
    assert 'data-action="reveal"' not in client.get(detail(m)).content.decode()
    assert client.post(reverse("matters:reveal", args=[m.pk])).status_code == 404
    assert client.get(reverse("matters:reveal", args=[m.pk])).status_code == 405
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(m.pk)).count() == 2


def test_the_whole_path_through_the_pages(w: World, client: Any) -> None:
    """Community accepts and escalates, the subdistrict escalates, the district assigns lead + assisting departments,
    the handlers take up, report progress and results, the district resolves, the community records the callback."""
    m = report(w, title="老旧小区加装电梯")
    login(client, w.u["comm_a1"])
    assert post(client, m, "accept").status_code == 302
    assert fresh(m).status == MatterStatus.ACCEPTED
    resp = post(client, m, "escalate", reason="涉及规划审批，社区无法解决")
    assert resp.status_code == 302
    login(client, w.u["sub_a"])
    resp = client.get(detail(m))
    assert {"escalate", "assign", "resolve", "reject"} <= resp.context["actions"]
    assert post(client, m, "escalate", reason="需区级统筹资金").status_code == 302
    assert fresh(m).owner == w.tree.erqi
    login(client, w.u["erqi"])
    html = client.get(detail(m)).content.decode()
    assert 'id="action-assign"' in html and "二七区城建局" in html
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    resp = client.post(act(m, "assign"), {"assign-version": fresh(m).version, "assign-lead": w.dept_erqi_cj.pk,
                                          "assign-assist": [w.dept_erqi.pk], "assign-deadline": deadline, "assign-note": "请尽快办理"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    lead = Assignment.objects.get(matter=m, department=w.dept_erqi_cj)
    helper = Assignment.objects.get(matter=m, department=w.dept_erqi)
    assert timezone.localtime(lead.deadline).date().isoformat() == deadline and fresh(m).status == MatterStatus.ASSIGNED
    # resolve is offered only after the lead's result
    assert "resolve" not in client.get(detail(m)).context["actions"]
    resp = post(client, m, "follow_up", assignment=str(helper.pk), note="请配合主办部门")
    assert resp.status_code == 302 and Assignment.objects.get(pk=helper.pk).follow_up_count == 1
    # the departments (on their phones)
    login(client, w.u["h_cj"])
    page = client.get(reverse("matters:assignment", args=[lead.pk]))
    assert page.status_code == 200 and page.context["actions"] == {"accept", "return", "progress", "result"}
    assert client.post(reverse("matters:assignment_action", args=[lead.pk, "accept"]),
                       {"accept-version": fresh(m).version, "accept-seen": "assigned"}).status_code == 302
    assert client.post(reverse("matters:assignment_action", args=[lead.pk, "progress"]),
                       {"progress-version": fresh(m).version, "progress-note": "已完成勘察"}).status_code == 302
    assert client.post(reverse("matters:assignment_action", args=[lead.pk, "result"]),
                       {"result-version": fresh(m).version, "result-result": "电梯已完成安装"}).status_code == 302
    assert Assignment.objects.get(pk=lead.pk).status == AssignmentStatus.DONE
    login(client, w.u["h_erqi"])
    assert client.post(reverse("matters:assignment_action", args=[helper.pk, "result"]),
                       {"result-version": fresh(m).version, "result-result": "已配合"}).status_code == 302
    # the district resolves
    login(client, w.u["erqi"])
    assert "resolve" in client.get(detail(m)).context["actions"]
    assert post(client, m, "resolve", resolution="电梯已投入使用").status_code == 302
    assert fresh(m).status == MatterStatus.RESOLVED
    # the community the matter comes from records the callback
    login(client, w.u["comm_a1"])
    assert "callback" in client.get(detail(m)).context["actions"]
    resp = post(client, m, "callback", satisfaction="satisfied", note="居民很满意")
    assert resp.status_code == 302
    m = fresh(m)
    assert m.status == MatterStatus.CLOSED and m.satisfaction == "satisfied"
    resp = client.get(detail(m), follow=True)
    html = resp.content.decode()
    kinds = [e.kind for e in resp.context["events"]]
    for kind in ("reported", "accepted", "escalated", "assigned", "assignment_accepted", "progress", "result", "resolved", "callback",
                 "closed", "follow_up"):
        assert kind in kinds
    assert "目前没有需要您对该事项进行的操作" in html and resp.context["actions"] == set()


def test_unsatisfied_callback_reopens_and_success_messages_are_chinese(w: World, client: Any) -> None:
    m = accepted(w)
    login(client, w.u["comm_a1"])
    resp = client.post(act(m, "resolve"), {"resolve-version": fresh(m).version, "resolve-resolution": "已清理"}, follow=True)
    assert "事项已标记为办结" in resp.content.decode()
    post(client, m, "callback", satisfaction="unsatisfied", note="没有清理干净")
    assert fresh(m).status == MatterStatus.REOPENED and fresh(m).reopen_count == 1


def test_reject_with_a_reason(w: World, client: Any) -> None:
    m = report(w)
    login(client, w.u["comm_a1"])
    resp = client.post(act(m, "reject"), {"reject-version": fresh(m).version, "reject-reason": "属于民事纠纷，建议诉讼"}, follow=True)
    assert fresh(m).status == MatterStatus.REJECTED and fresh(m).reject_reason == "属于民事纠纷，建议诉讼"
    assert "属于民事纠纷" in resp.content.decode()


def test_attach_a_photo_and_download_it_only_in_sight(w: World, client: Any) -> None:
    m = accepted(w)
    login(client, w.u["comm_a1"])
    resp = client.post(act(m, "attach"), {"attach-version": fresh(m).version,
                                          "attach-file": SimpleUploadedFile("现场.jpg", jpeg(), content_type="image/jpeg")})
    assert resp.status_code == 302
    att = MatterAttachment.objects.get(matter=m)
    url = reverse("matters:attachment", args=[m.pk, att.pk])
    assert url in client.get(detail(m)).content.decode()
    got = client.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg" and got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]
    assert b"".join(got.streaming_content)[:2] == b"\xff\xd8"
    login(client, w.u["comm_a2"])
    assert client.get(url).status_code == 404
    other = report(w, actor="comm_a2", community=w.tree.comm_a2)
    login(client, w.u["comm_a1"])
    assert client.get(reverse("matters:attachment", args=[other.pk, att.pk])).status_code == 404


# --- reporting ---------------------------------------------------------------------------------


def test_staff_report_form_with_photo_and_coordinates(w: World, client: Any) -> None:
    cat = leaf()
    login(client, w.u["comm_a1"])
    page = client.get(reverse("matters:report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<optgroup label="测试大类 › 测试中类">' in html and 'id="report-form"' in html
    assert page.context["form"].initial == {"community": str(w.tree.comm_a1.pk)}
    resp = client.post(reverse("matters:report"), {
        "title": "小区门口路灯不亮", "description": "晚上很黑", "category": str(cat.pk), "source": "road_chief",
        "community": w.tree.comm_a1.pk, "address": "淮河东路3号门", "lat": "34.7451", "lng": "113.6402",
        "reporter_name": "王师傅", "reporter_phone": "138 1234 5678", "photo": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
    })
    assert resp.status_code == 302
    m = Matter.objects.get(title="小区门口路灯不亮")
    assert resp["Location"] == detail(m)
    assert m.source == MatterSource.ROAD_CHIEF and m.category == cat and str(m.lat) == "34.745100" and m.reported_by == w.u["comm_a1"]
    assert m.attachments.count() == 1
    assert svc.reporter_phone_masked(m) == "138****5678"


def test_staff_report_errors_next_to_fields_and_nothing_written(w: World, client: Any) -> None:
    login(client, w.u["comm_a1"])
    resp = client.post(reverse("matters:report"), {"title": "", "community": w.tree.comm_b1.pk, "lat": "95", "lng": "",
                                                   "reporter_phone": "12345", "category": "999999"})
    assert resp.status_code == 400
    errors = resp.context["form"].errors
    assert {"title", "lat", "reporter_phone", "category"} <= set(errors)
    assert Matter.objects.count() == 0
    bad_photo = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    resp = client.post(reverse("matters:report"), {"title": "有照片", "community": w.tree.comm_a1.pk, "photo": bad_photo})
    assert resp.status_code == 400 and "photo" in resp.context["form"].errors
    assert Matter.objects.count() == 0


def test_resident_phone_form_reports_into_his_community(w: World, client: Any) -> None:
    login(client, w.u["resident"])
    page = client.get(reverse("matters:report"))
    html = page.content.decode()
    assert page.status_code == 200 and "淮河社区" in html and 'name="lat"' in html and 'type="hidden"' in html
    assert 'name="community"' not in html and 'capture="environment"' in html and "geolocate" in html
    resp = client.post(reverse("matters:report"), {"title": "楼下井盖松动", "address": "5号楼前", "lat": "34.7", "lng": "113.6",
                                                   "reporter_phone": "13700001111",
                                                   "photo": SimpleUploadedFile("a.png", jpeg(), content_type="image/png")}, follow=True)
    assert resp.status_code == 200
    m = Matter.objects.get(title="楼下井盖松动")
    assert m.community == w.tree.comm_a1 and m.source == MatterSource.RESIDENT and m.reported_by == w.u["resident"]
    assert m.attachments.count() == 1 and m.reporter_name
    html = resp.content.decode()
    assert "楼下井盖松动" in html and 'id="my-reports"' in html and m.number in html
    # he sees his own matter, not the neighbour's
    assert client.get(detail(m)).status_code == 200
    other = report(w, title="邻居的事")
    assert client.get(detail(other)).status_code == 404
    login(client, w.u["resident2"])
    assert "您还没有反映过问题" in client.get(reverse("matters:report")).content.decode()
    assert client.get(detail(m)).status_code == 404


def test_resident_form_errors_and_a_member_reports_as_road_chief(w: World, client: Any) -> None:
    login(client, w.u["resident"])
    resp = client.post(reverse("matters:report"), {"title": " ", "reporter_phone": "abc"})
    assert resp.status_code == 400 and {"title", "reporter_phone"} <= set(resp.context["form"].errors)
    assert Matter.objects.count() == 0
    login(client, w.u["member"])
    assert client.post(reverse("matters:report"), {"title": "人行道砖松动"}).status_code == 302
    assert Matter.objects.get(title="人行道砖松动").source == MatterSource.ROAD_CHIEF


# --- the department's pages ------------------------------------------------------------------------


def assigned(w: World) -> tuple[Matter, Assignment]:
    m = at_level(w, "district")
    svc.matter_assign(actor=w.u["erqi"], matter=m, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk])
    return fresh(m), Assignment.objects.get(matter=m, department=w.dept_erqi_cj)


def test_department_queue_tabs_and_phone_layout(w: World, client: Any) -> None:
    m, a = assigned(w)
    login(client, w.u["h_cj"])
    resp = client.get(reverse("matters:dept_queue"))
    assert resp.status_code == 200
    tabs = {t["key"]: t["count"] for t in resp.context["tabs"]}
    assert tabs == {"to_accept": 1, "in_progress": 0, "overdue": 0, "followed_up": 0, "done": 0, "returned": 0}
    html = resp.content.decode()
    assert f'data-assignment="{a.pk}"' in html and m.title in html and "新交办" in html
    login(client, w.u["h_jinshui"])
    assert client.get(reverse("matters:dept_queue")).context["tabs"][0]["count"] == 0
    assert client.get(reverse("matters:assignment", args=[a.pk])).status_code == 404
    login(client, w.u["comm_a1"])
    assert client.get(reverse("matters:dept_queue")).status_code == 404


def test_department_sends_a_mis_assigned_matter_back(w: World, client: Any) -> None:
    m, a = assigned(w)
    login(client, w.u["h_cj"])
    resp = client.post(reverse("matters:assignment_action", args=[a.pk, "return"]), {"return-reason": ""})
    assert resp.status_code == 400 and "return" == resp.context["open_action"]
    assert Assignment.objects.get(pk=a.pk).status == AssignmentStatus.ASSIGNED
    resp = client.post(reverse("matters:assignment_action", args=[a.pk, "return"]), {"return-reason": "不属于城建职责"})
    assert resp.status_code == 302 and resp["Location"] == reverse("matters:dept_queue")
    assert Assignment.objects.get(pk=a.pk).status == AssignmentStatus.RETURNED and fresh(m).status == MatterStatus.ACCEPTED


def test_a_stale_assignment_page_gets_the_already_changed_answer(w: World, client: Any) -> None:
    _m, a = assigned(w)
    login(client, w.u["h_cj"])
    svc.assignment_accept(actor=w.u["h_cj"], assignment=a.pk)  # a colleague took it up a moment ago
    resp = client.post(reverse("matters:assignment_action", args=[a.pk, "return"]),
                       {"return-seen": "assigned", "return-reason": "不属于本部门"})
    assert resp.status_code == 409 and "刷新" in resp.content.decode()
    assert Assignment.objects.get(pk=a.pk).status == AssignmentStatus.IN_PROGRESS


# --- navigation and home panels --------------------------------------------------------------------


def test_nav_entries_per_role(w: World, client: Any) -> None:
    def nav(user: Any) -> set[str]:
        resp = login(client, user).get(reverse("core:home"))
        return {e["key"] for e in resp.context["nav_entries"] if e["module"] == "matters"}

    assert nav(w.u["comm_a1"]) == {"matters.queue", "matters.list"}
    assert nav(w.u["h_erqi"]) == {"matters.departments"}
    assert nav(w.u["resident"]) == {"matters.report"}
    assert nav(w.u["member"]) == {"matters.report"}
    assert nav(w.u["nobody"]) == set()


def test_home_panels_count_waiting_and_overdue(w: World, client: Any) -> None:
    report(w)
    m = accepted(w)
    Matter.objects.filter(pk=m.pk).update(is_overdue=True)
    html = login(client, w.u["comm_a1"]).get(reverse("core:home")).content.decode()
    assert 'data-panel="matters.queue"' in html
    panel = next(p for p in client.get(reverse("core:home")).context["panels"] if p["key"] == "matters.queue")
    stats = {s["key"]: s["value"] for s in panel["stats"]}
    assert stats["waiting"] == 2 and stats["overdue"] == 1 and stats["to_accept"] == 1
    _m, _a = assigned(w)
    panel = next(p for p in login(client, w.u["h_cj"]).get(reverse("core:home")).context["panels"] if p["key"] == "matters.department")
    assert {s["key"]: s["value"] for s in panel["stats"]}["new"] == 1
    panels = login(client, w.u["resident"]).get(reverse("core:home")).context["panels"]
    assert [p["key"] for p in panels if p["key"].startswith("matters")] == ["matters.mine"]


def test_matter_page_queries_do_not_grow_with_the_timeline(w: World, client: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small, _a = assigned(w)
    big, lead = assigned(w)
    for i in range(8):
        svc.assignment_progress(actor=w.u["h_cj"], assignment=lead.pk, note=f"进展{i}")
        svc.assignment_follow_up(actor=w.u["erqi"], assignment=lead.pk, note=f"督办{i}")
    counts = []
    login(client, w.u["erqi"])
    client.get(detail(small))  # the account's first request reads its scope rows (core.scope keeps them per version)
    for m in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail(m)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 20, counts


def test_list_offers_the_hotline_import_to_who_may_import(w: World, client: Any) -> None:
    """The district administrator imports 12345 work orders from the list; a community administrator has no such button
    and the import page refuses him."""
    url = reverse("core:import_start", args=["matters-hotline"])
    login(client, w.u["erqi"])
    page = client.get(reverse("matters:list")).content.decode()
    assert 'data-action="import-hotline"' in page and url in page
    assert client.get(url).status_code == 200
    client.logout()
    login(client, w.u["comm_a1"])
    assert 'data-action="import-hotline"' not in client.get(reverse("matters:list")).content.decode()
    assert client.get(url).status_code in (403, 404)


# --- the cost of the queue and list pages (issue #12) -----------------------------------------------


def _sql(client: Any, url: str, **params: Any) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_queue_page_counts_its_tabs_in_one_query_whatever_the_rows(w: World, client: Any) -> None:
    """The tabs' counts are one aggregate (plus the paginator's count of the open tab, and the account's own open reports,
    which decide whether the page is its own or its scope's); the rows' category and places are fetched for the page's
    rows, not joined to every matter of the queue before the LIMIT."""
    for i in range(2):
        at_level(w, "subdistrict", title=f"待决定{i}")
    login(client, w.u["sub_a"])
    _sql(client, reverse("matters:queue"))  # the scopes and the session warm
    few = _sql(client, reverse("matters:queue"))
    counts = [s for s in few if s.startswith("SELECT COUNT(") and '"matters_matter"' in s]
    assert len(counts) == 3 and len([s for s in counts if '"reported_by_id" =' in s and " FILTER " not in s]) == 1, counts
    rows = [s for s in few if 'FROM "matters_matter"' in s and not s.startswith("SELECT COUNT(")]
    assert rows and not any("JOIN" in s for s in rows), rows
    for i in range(6):
        at_level(w, "subdistrict", title=f"更多{i}")
    assert len(_sql(client, reverse("matters:queue"))) == len(few)
    html = client.get(reverse("matters:queue")).content.decode()
    assert "更多5" in html and 'data-status="escalated"' in html


def test_list_page_keeps_the_catalogue_picker_until_the_catalogue_changes(w: World, client: Any) -> None:
    """The category filter is built from the catalogue once per catalogue version (a digest of one small query), not from
    the categories and their parents on each request; a change to the catalogue shows on the next request."""
    cat = leaf()
    report(w, title="电梯故障", category=cat.pk)
    login(client, w.u["comm_a1"])
    client.get(reverse("matters:list"))
    sql = _sql(client, reverse("matters:list"))
    catalogue = [s for s in sql if 'FROM "matters_mattercategory"' in s]
    assert len(catalogue) == 2 and not any("JOIN" in s for s in catalogue), catalogue  # the version, the page's categories
    for i in range(5):
        report(w, title=f"更多{i}", category=cat.pk)
    assert len(_sql(client, reverse("matters:list"))) == len(sql)
    html = client.get(reverse("matters:list"), {"category": str(cat.pk)}).content.decode()
    assert f'<option value="{cat.pk}" selected>测试小类</option>' in html
    svc.category_save(actor=w.u["city"], name="新的小类", parent=cat.parent_id)
    html = client.get(reverse("matters:list")).content.decode()
    assert "新的小类" in html
    svc.category_save(actor=w.u["city"], category=cat.pk, name="改名的小类", parent=cat.parent_id)
    html = client.get(reverse("matters:list")).content.decode()
    assert "改名的小类" in html and "测试小类" not in html


def test_list_page_region_filters_keep_the_chosen_region(w: World, client: Any) -> None:
    login(client, w.u["sub_a"])
    html = client.get(reverse("matters:list"), {"region": str(w.tree.comm_a1.pk), "owner": str(w.tree.sub_a.pk)}).content.decode()
    region = html.split('name="region"', 1)[1].split("</select>", 1)[0]
    owner = html.split('name="owner"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{w.tree.comm_a1.pk}" selected>' in region and region.count(" selected") == 1
    assert f'<option value="{w.tree.sub_a.pk}" selected>' in owner and owner.count(" selected") == 1
    assert f'<option value="{w.tree.comm_a2.pk}">' in region and w.tree.comm_a2.name in region


def test_list_page_region_options_follow_a_renamed_region(w: World, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The region options are kept in the cache per area and regions version: a rename through the regions services
    shows on the next visit."""
    from gongjian.accounts.choices import Role
    from gongjian.regions import services as region_services
    from gongjian.testing import factories

    login(client, w.u["sub_a"])
    assert w.tree.comm_a2.name in client.get(reverse("matters:list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        region_services.region_update(actor=factories.user(Role.CITY_ADMIN, region=w.tree.city), region=w.tree.comm_a2, name="新改名社区")
    region = client.get(reverse("matters:list")).content.decode().split('name="region"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{w.tree.comm_a2.pk}">\u3000新改名社区</option>' in region


def test_badges_draw_the_status_and_the_deadline(w: World) -> None:
    """The badge tags draw what the included templates drew (status colour and label; deadline state, local time, text)."""
    from zoneinfo import ZoneInfo

    from django.template import engines
    from django.utils import translation

    from gongjian.matters.views import _countdown

    m = accepted(w, title="井盖缺失")
    now = timezone.now()
    due = dt.datetime(2026, 5, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    page = engines["django"].from_string(
        '{% load matters_ui %}{% matter_status m id="s" %}|{% countdown late %}|{% countdown soon %}|{% countdown ok label="受理" %}'
        "|{% countdown none %}|{{ m.urgency|urgency_label }}")
    with translation.override("zh-hans"):
        html = page.render({"m": m, "late": _countdown(due, due + dt.timedelta(days=2, hours=3)),
                            "soon": _countdown(now + dt.timedelta(hours=5), now), "ok": _countdown(now + dt.timedelta(days=3), now)})
    status, late, soon, ok, none, urgency = html.split("|")
    assert status == '<span class="badge bg-blue-lt" id="s" data-status="accepted">已受理</span>'
    assert late == ('<span class="badge bg-red text-white" data-countdown="overdue" title="2026-05-01 09:30">'
                    "已超期 2 天 3 小时</span>")
    assert 'class="badge bg-orange-lt" data-countdown="soon"' in soon and ("剩余 4 小时 59 分" in soon or "剩余 5 小时 0 分" in soon)
    assert 'class="badge bg-secondary-lt" data-countdown="ok"' in ok and ">受理 剩余 " in ok
    assert none == "" and urgency == "一般"


def test_the_queue_is_shared_by_its_scope_but_an_accounts_own_reports_keep_it_its_own(w: World, client: Any, monkeypatch: Any) -> None:
    """With lists kept (``core.listcache``): an administrator of the same community with no report of his own is served
    the page his colleague's request kept; one who reported a matter himself has a "mine" tab nobody else may see."""
    from gongjian.accounts.models import Scope, User
    from gongjian.core import listcache

    monkeypatch.setattr(listcache, "enabled", lambda: True)
    twin = User.objects.create_user(username="comm_a1_twin", password="Twin-password-1")
    for s in Scope.objects.filter(user=w.u["comm_a1"], is_active=True):
        Scope.objects.create(user=twin, role=s.role, kind=s.kind, region=s.region, unit=s.unit, department=s.department)
    report(w, actor="comm_a1", title="我自己上报的事项")
    own = login(client, w.u["comm_a1"]).get(reverse("matters:queue"), {"tab": "mine"})
    assert "我自己上报的事项" in own.content.decode() and listcache.is_shared(own.wsgi_request)  # kept, for comm_a1 alone
    theirs = login(client, twin).get(reverse("matters:queue"), {"tab": "mine"}).content.decode()
    assert "我自己上报的事项" in theirs  # the matter waits to be accepted by the community: in the twin's queue too …
    mine_tabs = [t["key"] for t in login(client, twin).get(reverse("matters:queue")).context["tabs"]]
    assert "mine" not in mine_tabs  # … but the twin has no "mine" tab of his colleague's reports
    assert 'data-queue="mine"' not in theirs and 'data-queue="mine"' in own.content.decode()


def _assign_to_cj(w: World, title: str) -> Matter:
    m = at_level(w, "district", title=title)
    svc.matter_assign(actor=w.u["erqi"], matter=m, lead=w.dept_erqi_cj.pk)
    return m


def test_department_queue_counts_its_tabs_in_one_query_whatever_the_rows(w: World, client: Any) -> None:
    """The six tabs are counted in one aggregate over the department's assignments (not a count per tab, nor the open tab
    counted again by the paginator); the open tab's rows come with their matter and its community joined, not the
    matter's category or the issuing region; more assignments, the same queries."""
    _assign_to_cj(w, "第0件交办")
    url = reverse("matters:dept_queue")
    login(client, w.u["h_cj"])
    _sql(client, url)  # the scopes and the session warm
    few = _sql(client, url)
    on = [s for s in few if '"matters_assignment"' in s]
    counts = [s for s in on if s.startswith("SELECT COUNT(")]
    rows = [s for s in on if not s.startswith("SELECT COUNT(")]
    assert len(on) == 2 and len(counts) == 1 and len(rows) == 1, on
    assert '"regions_region"' in rows[0] and "matters_mattercategory" not in rows[0], rows
    for i in range(1, 5):
        _assign_to_cj(w, f"第{i}件交办")
    assert len(_sql(client, url)) == len(few)
    resp = client.get(url)
    assert {t["key"]: t["count"] for t in resp.context["tabs"]}["to_accept"] == 5
    html = resp.content.decode()
    assert all(f"第{i}件交办" in html for i in range(5)) and w.tree.comm_a1.name in html and 'data-countdown="ok"' in html


def test_the_department_queue_is_kept_for_the_handlers_of_its_departments(w: World, client: Any, monkeypatch: Any) -> None:
    """With lists kept (``core.listcache``): a second handler of the same department is served the queue the first one's
    request kept, without reading an assignment; a handler of another department sees his own."""
    from gongjian.accounts.models import Scope, User
    from gongjian.core import listcache

    monkeypatch.setattr(listcache, "enabled", lambda: True)
    m = _assign_to_cj(w, "井盖破损交办")
    twin = User.objects.create_user(username="m_h_cj_twin", password="Twin-password-1")
    for s in Scope.objects.filter(user=w.u["h_cj"], is_active=True):
        Scope.objects.create(user=twin, role=s.role, kind=s.kind, region=s.region, unit=s.unit, department=s.department)
    url = reverse("matters:dept_queue")
    first = login(client, w.u["h_cj"]).get(url)
    assert listcache.is_shared(first.wsgi_request) and m.title in first.content.decode()
    login(client, twin)
    assert not [s for s in _sql(client, url) if '"matters_assignment"' in s]
    assert m.title in client.get(url).content.decode()
    assert m.title not in login(client, w.u["h_jinshui"]).get(url).content.decode()


def test_resident_report_form_is_drawn_once_per_catalogue_version(w: World, client: Any, monkeypatch: Any) -> None:
    """The residents' phone form: its empty form (the catalogue's select among its fields) is drawn once per catalogue
    version and language, as Django draws it, not on every request; his reports are one query with their community
    joined, whatever their number; a change to the catalogue shows on the next request."""
    from django.forms.renderers import DjangoTemplates
    from django.template.loader import render_to_string

    from gongjian.matters import forms, views

    cat = leaf()
    url = reverse("matters:report")
    login(client, w.u["resident"])
    client.get(url)
    few = _sql(client, url)
    assert not [s for s in few if 'FROM "regions_region"' in s], few  # his communities are kept (resident_communities)
    mine = [s for s in few if 'FROM "matters_matter"' in s]
    assert len(mine) == 1 and '"description"' not in mine[0], mine  # his reports: only what the list shows
    drawn: list[str] = []
    plain_render = DjangoTemplates.render

    def counted_render(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        drawn.append(name)  # a widget drawn by Django's form renderer
        return plain_render(self, name, *args, **kwargs)

    monkeypatch.setattr(DjangoTemplates, "render", counted_render)
    for i in range(5):
        report(w, actor="resident", title=f"我反映的第{i}个问题")
    assert len(_sql(client, url)) == len(few)
    html = client.get(url).content.decode()
    assert drawn == [] and all(f"我反映的第{i}个问题" in html for i in range(5)) and html.count(w.tree.comm_a1.name) >= 5
    # what is kept is what Django draws for the form over the catalogue's plain choices
    plain = forms.ResidentReportForm(categories=views.kept_catalogue().choices)
    assert views._kept_form(forms.ResidentReportForm(categories=views.kept_catalogue()), views.kept_catalogue()) == \
        render_to_string("includes/form.html", {"form": plain})
    assert f'<option value="{cat.pk}">测试小类</option>' in html
    svc.category_save(actor=w.u["city"], category=cat.pk, name="改名的小类", parent=cat.parent_id)
    html = client.get(url).content.decode()
    assert f'<option value="{cat.pk}">改名的小类</option>' in html and "测试小类" not in html


def test_a_report_form_sent_back_keeps_its_chosen_category(w: World, client: Any) -> None:
    """A form with errors is drawn with the values sent: the kept select of the catalogue has the chosen category
    selected (and the next empty form none), for residents and staff alike."""
    cat = leaf()
    url = reverse("matters:report")
    login(client, w.u["resident"])
    resp = client.post(url, {"title": " ", "category": str(cat.pk)})
    assert resp.status_code == 400 and f'<option value="{cat.pk}" selected>测试小类</option>' in resp.content.decode()
    html = client.get(url).content.decode()
    assert f'<option value="{cat.pk}">测试小类</option>' in html and " selected>测试小类" not in html
    resp = client.post(url, {"title": " ", "category": "99999999"})  # no category: drawn as it is, nothing selected
    assert resp.status_code == 400 and " selected>测试小类" not in resp.content.decode()
    login(client, w.u["comm_a1"])
    resp = client.post(url, {"title": "", "category": str(cat.pk), "community": w.tree.comm_a1.pk})
    assert resp.status_code == 400 and f'<option value="{cat.pk}" selected>测试小类</option>' in resp.content.decode()
    assert " selected>测试小类" not in client.get(url).content.decode()


def test_a_residents_communities_follow_a_renamed_region(w: World, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The communities of a resident's scopes are kept in the cache per scope paths and regions version: a rename through
    the regions services shows on the next visit of the phone form, and a report still goes to his community."""
    from gongjian.accounts.choices import Role
    from gongjian.regions import services as region_services
    from gongjian.testing import factories

    login(client, w.u["resident"])
    assert f"您的反映将送达{w.tree.comm_a1.name}" in client.get(reverse("matters:report")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        region_services.region_update(actor=factories.user(Role.CITY_ADMIN, region=w.tree.city), region=w.tree.comm_a1, name="新改名社区")
    assert "您的反映将送达新改名社区" in client.get(reverse("matters:report")).content.decode()
    assert client.post(reverse("matters:report"), {"title": "路灯不亮"}).status_code == 302
    assert Matter.objects.get(title="路灯不亮").community_id == w.tree.comm_a1.pk
