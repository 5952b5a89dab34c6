"""Matters API at /api/v1/matters/: list (filters, pagination), get (timeline), report, accept, reject, escalate, assign,
resolve, callback, follow-up, attachments, department actions, the work queue — scoped like the pages: 404 out of
sight, 403 not allowed, 409 forbidden transition or stale version, 400 field errors and 422 schema errors, one shape."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from gongjian.accounts.models import ApiToken
from gongjian.core.models import AuditEvent
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter, MatterAttachment

from .domain import World, accepted, at_level, build_world, report

pytestmark = pytest.mark.django_db
BASE = "/api/v1/matters"


@pytest.fixture
def w(tree: Any) -> World:
    return build_world(tree)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api(client: Any, w: World) -> Any:
    def _for(who: str) -> Any:
        _tok, raw = ApiToken.issue(w.u[who])
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path: str, **params: Any) -> Any:
                return client.get(f"{BASE}{path}", params, **headers)

            def post(self, path: str, body: Any = None) -> Any:
                return client.post(f"{BASE}{path}", body or {}, content_type="application/json", **headers)

            def multipart(self, path: str, data: Any) -> Any:
                return client.post(f"{BASE}{path}", data, **headers)

        return C()

    return _for


def shape(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.content.decode()[:800]
    body = resp.json()
    assert set(body) == {"code", "message", "details"}
    if code:
        assert body["code"] == code
    return body


def day(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 10, 10)).save(buf, format="JPEG")
    return buf.getvalue()


def test_list_filters_pagination_and_scope(w: World, api: Any) -> None:
    a = report(w, title="电梯坏了", urgency="emergency")
    accepted(w, title="井盖丢失")
    report(w, actor="comm_b1", title="金水区", community=w.tree.comm_b1)
    c = api("comm_a1")
    body = c.get("/")
    assert body.status_code == 200
    data = body.json()
    assert data["count"] == 2 and {i["title"] for i in data["items"]} == {"电梯坏了", "井盖丢失"}
    item = next(i for i in data["items"] if i["id"] == a.pk)
    assert item["status"] == "reported" and item["url"] == f"/matters/{a.pk}/" and item["version"] == 1
    assert "reporter_phone" not in str(item)
    assert [i["title"] for i in c.get("/", urgency="emergency").json()["items"]] == ["电梯坏了"]
    assert [i["title"] for i in c.get("/", status="accepted").json()["items"]] == ["井盖丢失"]
    assert [i["title"] for i in c.get("/", q=Matter.objects.get(pk=a.pk).number).json()["items"]] == ["电梯坏了"]
    assert c.get("/", overdue="true").json()["count"] == 0
    page = c.get("/", size=1, page=2).json()
    assert page["pages"] == 2 and page["page"] == 2 and len(page["items"]) == 1
    assert c.get("/", size=1000).json()["size"] == 100
    shape(c.get("/", date_from="not-a-date"), 422, "invalid")
    assert api("comm_a2").get("/").json()["count"] == 0
    shape(api("nobody").get("/"), 404, "not_found")


def test_detail_has_timeline_assignments_masked_phone_and_actions(w: World, api: Any) -> None:
    m = at_level(w, "district")
    svc.matter_assign(actor=w.u["erqi"], matter=m.pk, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk])
    resp = api("erqi").get(f"/{m.pk}")
    assert resp.status_code == 200
    d = resp.json()
    assert d["reporter_phone_masked"] == "138****5678" and "13812345678" not in resp.content.decode()
    assert [e["kind"] for e in d["timeline"]][:3] == ["reported", "accepted", "escalated"]
    assert d["timeline"][-1]["kind"] == "assigned" and d["timeline"][-1]["region_name"] == "二七区"
    assert {a["department_name"]: a["role"] for a in d["assignments"]} == {"二七区城建局": "lead", "二七区民政局": "assist"}
    assert d["status"] == "assigned" and "follow_up" in d["actions"] and "resolve" not in d["actions"]
    shape(api("comm_a2").get(f"/{m.pk}"), 404, "not_found")
    shape(api("h_jinshui").get(f"/{m.pk}"), 404)
    assert api("h_cj").get(f"/{m.pk}").status_code == 200  # an assigned department sees it
    shape(api("comm_a1").get("/999999"), 404)


def test_report_for_staff_and_residents(w: World, api: Any) -> None:
    resp = api("comm_a1").post("/", {"title": "路灯不亮", "community_id": w.tree.comm_a1.pk, "lat": 34.75, "lng": 113.63,
                                     "reporter_phone": "13812345678", "source": "road_chief"})
    assert resp.status_code == 201
    d = resp.json()
    assert d["status"] == "reported" and d["lat"] == 34.75 and d["reporter_phone_masked"] == "138****5678" and d["source"] == "road_chief"
    # a resident: his own community by default
    resp = api("resident").post("/", {"title": "楼道灯坏了"})
    assert resp.status_code == 201 and resp.json()["community_id"] == w.tree.comm_a1.pk and resp.json()["source"] == "resident"
    # field errors, all at once, nothing written
    n = Matter.objects.count()
    body = shape(api("comm_a1").post("/", {"title": "", "community_id": w.tree.comm_b1.pk, "lat": 91, "reporter_phone": "123"}), 400,
                 "invalid")
    assert {"title", "community", "lat", "reporter_phone"} <= set(body["details"])
    shape(api("comm_a1").post("/", {"title": 5, "community_id": "x"}), 422, "invalid")
    shape(api("h_erqi").post("/", {"title": "部门也想上报", "community_id": w.tree.comm_a1.pk}), 403, "forbidden")
    assert Matter.objects.count() == n


def test_the_workflow_through_the_api(w: World, api: Any) -> None:
    m = report(w)
    c = api("comm_a1")
    d = c.post(f"/{m.pk}/accept", {"version": 1}).json()
    assert d["status"] == "accepted" and d["version"] == 2
    d = c.post(f"/{m.pk}/escalate", {"reason": "社区无法解决", "version": d["version"]}).json()
    assert d["owner_name"] == "淮河路街道" and d["status"] == "escalated"
    d = api("sub_a").post(f"/{m.pk}/escalate", {"reason": "需区级统筹", "version": d["version"]}).json()
    assert d["owner_name"] == "二七区" and d["escalation_count"] == 2
    d = api("erqi").post(f"/{m.pk}/assign", {"lead": w.dept_erqi_cj.pk, "deadline": day(30), "version": d["version"],
                                             "note": "限期办理"}).json()
    assert d["status"] == "assigned" and timezone.localtime(Assignment.objects.get(matter=m).deadline).isoformat().startswith(f"{day(30)}T23:59:59")
    # assigning again is not a transition of an assigned matter
    shape(api("erqi").post(f"/{m.pk}/assign", {"lead": w.dept_erqi.pk, "version": d["version"]}), 409, "invalid_transition")
    # the community still sees it, but no longer decides it
    assert api("comm_a1").get(f"/{m.pk}").json()["actions"] == ["attach"]


def test_workflow_with_departments_callback_and_queue(w: World, api: Any) -> None:
    m = at_level(w, "district")
    v = Matter.objects.get(pk=m.pk).version
    deadline = day(20)
    body = shape(api("erqi").post(f"/{m.pk}/assign", {"lead": w.dept_erqi_cj.pk, "deadline": "2020-01-01", "version": v}), 400)
    assert "deadline" in body["details"]
    d = api("erqi").post(f"/{m.pk}/assign", {"lead": w.dept_erqi_cj.pk, "assist": [w.dept_erqi.pk], "deadline": deadline,
                                             "version": v}).json()
    assert d["status"] == "assigned"
    lead = next(a for a in d["assignments"] if a["role"] == "lead")
    helper = next(a for a in d["assignments"] if a["role"] == "assist")
    # the queue: the district has it with departments; the handler has a new assignment
    q = api("erqi").get("/queue").json()
    assert q["matters"]["assigned"]["count"] == 1 and q["assignments"] == {}
    q = api("h_cj").get("/queue").json()
    assert q["assignments"]["to_accept"]["count"] == 1 and q["assignments"]["to_accept"]["items"][0]["id"] == lead["id"]
    assert q["matters"]["assigned_to_me"]["count"] == 1
    # department actions; another department's handler: 404; an administrator: 403
    shape(api("h_jinshui").post(f"/assignments/{lead['id']}/accept"), 404)
    shape(api("erqi").post(f"/assignments/{lead['id']}/accept"), 403)
    a = api("h_cj").post(f"/assignments/{lead['id']}/accept", {"status": "assigned"}).json()
    assert a["status"] == "in_progress"
    shape(api("h_cj").post(f"/assignments/{lead['id']}/accept", {"status": "assigned"}), 409)  # someone else already did
    assert api("h_cj").post(f"/assignments/{lead['id']}/progress", {"note": "已勘察"}).status_code == 200
    shape(api("h_cj").post(f"/assignments/{lead['id']}/result", {"result": ""}), 400, "invalid")
    assert api("h_cj").post(f"/assignments/{lead['id']}/result", {"result": "已修复"}).json()["status"] == "done"
    # follow-up (督办) of the assisting department by the owning level
    fu = api("erqi").post(f"/assignments/{helper['id']}/follow-up", {"note": "请配合", "new_deadline": day(40)})
    assert fu.status_code == 201 and fu.json()["department_name"] == "二七区民政局"
    shape(api("comm_a1").post(f"/assignments/{helper['id']}/follow-up", {"note": "x"}), 403)
    shape(api("h_erqi").post(f"/assignments/{helper['id']}/follow-up", {"note": "x"}), 403)
    # the district resolves; the community records the callback
    v = Matter.objects.get(pk=m.pk).version
    d = api("erqi").post(f"/{m.pk}/resolve", {"resolution": "已办结", "version": v}).json()
    assert d["status"] == "resolved"
    shape(api("comm_a1").post(f"/{m.pk}/callback", {"satisfaction": "meh", "version": d["version"]}), 400)
    d = api("comm_a1").post(f"/{m.pk}/callback", {"satisfaction": "basically", "note": "基本满意", "version": d["version"]}).json()
    assert d["status"] == "closed" and d["satisfaction"] == "basically"
    kinds = [e["kind"] for e in api("erqi").get(f"/{m.pk}").json()["timeline"]]
    assert kinds[-2:] == ["callback", "closed"] and "follow_up" in kinds and "result" in kinds
    assert Assignment.objects.get(pk=helper["id"]).status == AssignmentStatus.WITHDRAWN


def test_assignments_list_and_return(w: World, api: Any) -> None:
    m = at_level(w, "district")
    svc.matter_assign(actor=w.u["erqi"], matter=m.pk, lead=w.dept_erqi_cj.pk)
    lst = api("h_cj").get("/assignments", status="active").json()
    assert lst["count"] == 1
    a_id = lst["items"][0]["id"]
    assert api("h_jinshui").get("/assignments").json()["count"] == 0
    shape(api("h_jinshui").get(f"/assignments/{a_id}"), 404)
    shape(api("h_cj").post(f"/assignments/{a_id}/return", {"reason": ""}), 400)
    r = api("h_cj").post(f"/assignments/{a_id}/return", {"reason": "不属于城建职责"}).json()
    assert r["status"] == "returned" and Matter.objects.get(pk=m.pk).status == MatterStatus.ACCEPTED


def test_forbidden_transitions_stale_versions_and_not_allowed(w: World, api: Any) -> None:
    m = report(w)
    shape(api("comm_a1").post(f"/{m.pk}/resolve", {"resolution": "x"}), 409, "invalid_transition")
    body = shape(api("comm_a1").post(f"/{m.pk}/accept", {"version": 7}), 409, "stale")
    assert "该事项已被他人处理" in body["message"]
    shape(api("sub_a").post(f"/{m.pk}/accept"), 404)  # out of sight
    shape(api("comm_a2").post(f"/{m.pk}/reject", {"reason": "x"}), 404)
    own = report(w, actor="resident", title="我的")
    shape(api("resident").post(f"/{own.pk}/accept"), 403, "forbidden")
    shape(api("resident").post(f"/{own.pk}/escalate", {"reason": "x"}), 403)
    top = at_level(w, "city", title="到市里")
    shape(api("city").post(f"/{top.pk}/escalate", {"reason": "再往上"}), 403)
    shape(api("comm_a1").post(f"/{m.pk}/reject", {"reason": "x" * 600}), 400)
    shape(api("comm_a1").post(f"/{m.pk}/accept", {"version": "abc"}), 422)
    shape(api("comm_a1").post(f"/{m.pk}/accept", {"version": 1, "x": "\x00"}), 422)
    assert Matter.objects.get(pk=m.pk).status == MatterStatus.REPORTED


def test_attachments_upload_list_download_and_scope(w: World, api: Any) -> None:
    m = accepted(w)
    resp = api("comm_a1").multipart(f"/{m.pk}/attachments", {"file": io.BytesIO(jpeg())})
    assert resp.status_code == 201, resp.content
    a = resp.json()
    assert a["content_type"] == "image/jpeg" and a["url"] == f"{BASE}/{m.pk}/attachments/{a['id']}"
    assert [x["id"] for x in api("comm_a1").get(f"/{m.pk}/attachments").json()] == [a["id"]]
    got = api("comm_a1").get(f"/{m.pk}/attachments/{a['id']}")
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    shape(api("comm_a2").get(f"/{m.pk}/attachments/{a['id']}"), 404)
    other = report(w, actor="comm_a2", community=w.tree.comm_a2)
    shape(api("comm_a2").get(f"/{other.pk}/attachments/{a['id']}"), 404)
    bad = io.BytesIO(b"<svg onload=alert(1)>")
    bad.name = "x.png"
    body = shape(api("comm_a1").multipart(f"/{m.pk}/attachments", {"file": bad}), 400)
    assert "file" in body["details"]
    shape(api("comm_a1").multipart(f"/{m.pk}/attachments", {}), 422)
    assert MatterAttachment.objects.filter(matter=m).count() == 1


def test_reporter_phone_is_audited_and_only_for_administrators(w: World, api: Any) -> None:
    m = accepted(w)
    assert api("comm_a1").post(f"/{m.pk}/reporter-phone").json() == {"reporter_phone": "13812345678"}
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(m.pk)).count() == 1
    own = report(w, actor="resident", title="我的", reporter_phone="13700001111")
    shape(api("resident").post(f"/{own.pk}/reporter-phone"), 403)
    shape(api("comm_a2").post(f"/{m.pk}/reporter-phone"), 404)
    assert AuditEvent.objects.filter(verb="pii.read").count() == 1


def test_list_endpoints_cost_the_same_for_more_rows(w: World, api: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(who: str, path: str) -> int:
        client = api(who)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    def one() -> None:
        m = at_level(w, "district")
        svc.matter_assign(actor=w.u["erqi"], matter=m.pk, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk])

    one()
    for who in ("erqi", "h_cj"):  # an account's first request reads its scope rows (core.scope keeps them per version)
        api(who).get("/queue")
    before = [cost("erqi", "/"), cost("h_cj", "/assignments"), cost("erqi", "/assignments"), cost("h_cj", "/queue"), cost("erqi", "/queue")]
    for _i in range(4):
        one()
    after = [cost("erqi", "/"), cost("h_cj", "/assignments"), cost("erqi", "/assignments"), cost("h_cj", "/queue"), cost("erqi", "/queue")]
    assert before == after, (before, after)


def test_assignment_list_joins_nothing_before_its_page(w: World, api: Any) -> None:
    """Issue #12: the assignments endpoint sorts the matching assignments alone and fetches the matter, department and
    issuing region for the page's rows (a city's 900 assignments were each joined to five tables before the LIMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _i in range(3):
        m = at_level(w, "district")
        svc.matter_assign(actor=w.u["erqi"], matter=m.pk, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk])
    client = api("erqi")
    client.get("/assignments")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/assignments", size=2).json()
    page = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "matters_assignment"."id"')]
    assert len(page) == 1 and "JOIN" not in page[0], page
    assert body["count"] == 6 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["matter_number"] and item["department_name"] and item["by_region_name"] == w.tree.erqi.name
