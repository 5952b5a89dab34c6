from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.accounts.models import ApiToken
from gongjian.meetings.models import Meeting

from .conftest import World, escalated, exchange, plan, soon

pytestmark = pytest.mark.django_db
BASE = "/api/v1/meetings"


class Api:
    def __init__(self, user: Any) -> None:
        _tok, raw = ApiToken.issue(user)
        self.h: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}
        self.c = Client()

    def get(self, path: str, **params: Any) -> Any:
        return self.c.get(BASE + path, params, **self.h)

    def post(self, path: str, body: Any = None) -> Any:
        return self.c.post(BASE + path, body or {}, content_type="application/json", **self.h)

    def patch(self, path: str, body: Any) -> Any:
        return self.c.patch(BASE + path, body, content_type="application/json", **self.h)

    def put(self, path: str, body: Any) -> Any:
        return self.c.put(BASE + path, body, content_type="application/json", **self.h)

    def delete(self, path: str) -> Any:
        return self.c.delete(BASE + path, **self.h)


def test_full_flow_over_the_api(world: World) -> None:
    ma = escalated(world)
    a = Api(world.u("sub_a"))
    r = a.post("/meetings", {"region_id": world.tree.sub_a.pk, "title": "API 协调会", "starts_at": soon().isoformat(), "place": "会议室"})
    assert r.status_code == 201, r.json()
    m = r.json()
    assert [i["matter_id"] for i in m["agenda"]] == [ma.pk] and m["can_manage"]
    mid = m["id"]
    assert a.post(f"/meetings/{mid}/attendees", {"kind": "department", "department_id": world.dept_build.pk}).status_code == 201
    r = a.post(f"/meetings/{mid}/agenda", {"title": "通报"})
    assert r.status_code == 201
    items = [i["id"] for i in a.get(f"/meetings/{mid}/agenda").json()]
    assert [i["id"] for i in a.put(f"/meetings/{mid}/agenda/order", {"order": items[::-1]}).json()] == items[::-1]
    assert a.post(f"/meetings/{mid}/agenda/refresh").status_code == 200
    assert a.patch(f"/meetings/{mid}", {"chair": "张书记"}).json()["chair"] == "张书记"
    Meeting.objects.filter(pk=mid).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    r = a.post(f"/meetings/{mid}/hold", {"minutes": ""})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "minutes" in r.json()["details"]
    assert a.post(f"/meetings/{mid}/hold", {"minutes": "纪要"}).json()["status"] == "held"
    item = next(i for i in a.get(f"/meetings/{mid}/agenda").json() if i["matter_id"] == ma.pk)
    r = a.post(f"/meetings/{mid}/decisions", {"text": "城建牵头", "agenda_item_id": item["id"], "lead_id": world.dept_build.pk,
                                             "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat()})
    assert r.status_code == 201, r.json()
    assert r.json()["matter_id"] == ma.pk and len(r.json()["assignments"]) == 1
    r = a.post(f"/meetings/{mid}/decisions", {"text": "专项检查", "tasks": [{"department_id": world.dept_build.pk,
                                                                            "deadline": soon(5).isoformat()}]})
    assert r.status_code == 201
    tid = r.json()["tasks"][0]["id"]
    h = Api(world.u("handler_build"))
    assert [t["id"] for t in h.get("/tasks").json()] == [tid]
    assert h.post(f"/tasks/{tid}/complete", {"result": "完成"}).json()["status"] == "done"
    assert h.post(f"/tasks/{tid}/complete", {"result": "again"}).status_code == 409
    assert a.post(f"/meetings/{mid}/hold", {"minutes": "x"}).status_code == 409


def test_api_scope_and_forbidden(world: World) -> None:
    m = plan(world)
    assert Api(world.u("sub_b")).get(f"/meetings/{m.pk}").status_code == 404
    assert Api(world.u("erqi")).get(f"/meetings/{m.pk}").status_code == 200
    r = Api(world.u("erqi")).post(f"/meetings/{m.pk}/cancel", {"reason": "x"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert Api(world.u("resident")).get("/meetings").status_code == 404
    assert Api(world.u("resident")).get("/calendar").status_code == 404
    assert Api(world.u("erqi")).get("/meetings").json()["count"] == 1
    assert Api(world.u("jinshui")).get("/meetings").json()["count"] == 0
    r = Api(world.u("erqi")).post("/meetings", {"region_id": world.tree.sub_a.pk, "title": "x", "starts_at": soon().isoformat(),
                                               "place": "p"})
    assert r.status_code == 400 and "region" in r.json()["details"]
    # schema violations: 422
    assert Api(world.u("sub_a")).post("/meetings", {"region_id": "abc"}).status_code == 422
    assert Api(world.u("sub_a")).post(f"/meetings/{m.pk}/agenda", {"title": "a\x00b"}).status_code == 422


def test_api_calendar_and_exchange(world: World) -> None:
    plan(world)
    r = Api(world.u("erqi")).get("/calendar", level="subdistrict")
    assert r.status_code == 200 and r.json()["rows"][0]["region_name"] == "淮河路街道"
    ex = exchange(world)
    c = Api(world.u("city"))
    r = c.post(f"/meetings/{ex.pk}/experiences", {"title": "经验", "summary": "做法", "region_id": world.tree.sub_a.pk, "published": True})
    assert r.status_code == 201
    eid = r.json()["id"]
    assert [e["id"] for e in Api(world.u("comm_b1")).get("/experiences", q="经验").json()] == [eid]
    assert Api(world.u("comm_b1")).patch(f"/experiences/{eid}", {"title": "x"}).status_code == 403
    assert Api(world.u("resident")).get(f"/experiences/{eid}").status_code == 404


def test_api_speakers_with_attachment(world: World, tmp_path: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    ex = exchange(world)
    c = Api(world.u("city"))
    r = c.c.post(f"{BASE}/meetings/{ex.pk}/speakers", {"region_id": str(world.tree.sub_a.pk), "name": "刘书记", "topic": "红色物业",
                                                      "attachment": SimpleUploadedFile("x.pdf", b"%PDF-1.7\n%%EOF")}, **c.h)
    assert r.status_code == 201, r.json()
    url = r.json()["attachment_url"]
    assert url and c.c.get(url, **c.h).status_code == 200
    assert Api(world.u("resident")).c.get(url, **Api(world.u("resident")).h).status_code == 404
    r = c.c.post(f"{BASE}/meetings/{ex.pk}/speakers", {"region_id": str(world.tree.sub_a.pk), "name": "x", "topic": "y",
                                                      "attachment": SimpleUploadedFile("x.pdf", b"<svg onload=alert(1)>")}, **c.h)
    assert r.status_code == 400 and "attachment" in r.json()["details"]
    assert [s["name"] for s in c.get(f"/meetings/{ex.pk}/speakers").json()] == ["刘书记"]
    sid = r = c.get(f"/meetings/{ex.pk}/speakers").json()[0]["id"]
    assert Api(world.u("sub_a")).delete(f"/meetings/{ex.pk}/speakers/{sid}").status_code == 403
    assert c.delete(f"/meetings/{ex.pk}/speakers/{sid}").status_code == 204
