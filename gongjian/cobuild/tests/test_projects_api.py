"""Project API at /api/v1/cobuild/projects: list, get, create, the status actions, milestones, notes with
photos — scoped (404), forbidden (403), invalid transitions (409), field errors (400) and schema errors (422)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gongjian.accounts.models import ApiToken
from gongjian.cobuild.choices import NeedStatus, ProjectStatus
from gongjian.cobuild.models import Need, Project, ProjectMilestone, ProjectNote, ProjectPhoto, Resource

from .test_projects_views import _media, make_need, make_project, make_resource, upload  # noqa: F401 - _media is autouse

BASE = "/api/v1/cobuild"


@pytest.fixture
def api(client):
    def _for(user):
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path, **params):
                return client.get(f"{BASE}{path}", params, **headers)

            def post(self, path, body=None):
                return client.post(f"{BASE}{path}", body or {}, content_type="application/json", **headers)

            def multipart(self, path, data):
                return client.post(f"{BASE}{path}", data, **headers)

            def patch(self, path, body):
                return client.patch(f"{BASE}{path}", body, content_type="application/json", **headers)

            def delete(self, path):
                return client.delete(f"{BASE}{path}", **headers)

        return C()

    return _for


def _shape(r, status, code):
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code and body["message"]
    return body


def test_list_filters_pagination_and_scope(world, api):
    make_project(world, title="楼道扶手")
    make_project(world, ProjectStatus.IN_PROGRESS, title="老年食堂")
    make_project(world, b=True, title="通信花园绿化")
    c = api(world.users["community_admin"])
    r = c.get("/projects")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and {p["title"] for p in body["items"]} == {"楼道扶手", "老年食堂"}
    assert c.get("/projects", status="in_progress").json()["count"] == 1
    assert c.get("/projects", q="食堂").json()["items"][0]["status_label"] == "实施中"
    assert c.get("/projects", community=world.tree.comm_b1.pk).json()["count"] == 0
    assert c.get("/projects", unit=world.unit_a.pk, size=1, page=2).json()["page"] == 2
    assert c.get("/projects", size=1000).json()["size"] == 100
    _shape(c.get("/projects", community="abc"), 422, "invalid")
    _shape(c.get("/projects", page="x"), 422, "invalid")
    assert api(world.users["unit_liaison_b"]).get("/projects").json()["count"] == 1
    assert api(world.users["city_admin"]).get("/projects").json()["count"] == 3
    for role in ("resident", "member", "nobody"):
        _shape(api(world.users[role]).get("/projects"), 404, "not_found")


def test_get_detail_and_scope(world, api):
    p = make_project(world, ProjectStatus.AGREED)
    c = api(world.users["unit_liaison"])
    body = c.get(f"/projects/{p.pk}").json()
    assert body["status"] == "agreed" and body["unit_id"] == world.unit_a.pk and body["plan"] == "分两批完成"
    assert len(body["needs"]) == 1 and body["needs"][0]["status"] == NeedStatus.IN_PROJECT
    assert body["resources"][0]["amount"] == 4.0 and body["resources"][0]["capacity_unit"] == "hours"
    assert [h["action"] for h in body["history"]] == ["create", "agree"]
    for role in ("community_admin_b", "unit_liaison_b", "resident"):
        _shape(api(world.users[role]).get(f"/projects/{p.pk}"), 404, "not_found")
    _shape(c.get("/projects/999999"), 404, "not_found")
    _shape(c.get("/projects/-5"), 404, "not_found")
    assert c.get("/projects/abc").status_code in (404, 422)


def test_create_through_the_api(world, api):
    n = make_need(world)
    nb = make_need(world, "别的社区", b=True)
    r = make_resource(world, capacity="5")
    c = api(world.users["community_admin"])
    body = {"title": "楼道扶手", "community_id": world.tree.comm_a1.pk, "unit_id": world.unit_a.pk, "need_ids": [n.pk],
            "resources": [{"resource_id": r.pk, "amount": "3"}], "plan": "两周"}
    err = _shape(c.post("/projects", {**body, "title": "", "need_ids": [nb.pk], "resources": [{"resource_id": r.pk, "amount": "-1"}]}),
                 400, "invalid")
    assert {"title", "needs", "resources"} <= set(err["details"])
    _shape(c.post("/projects", {**body, "resources": [{"resource_id": r.pk, "amount": "6"}]}), 400, "invalid")
    _shape(c.post("/projects", {**body, "title": "x\x00"}), 422, "invalid")  # NUL refused by the API parser
    _shape(c.post("/projects", {**body, "need_ids": "all"}), 422, "invalid")
    _shape(c.post("/projects", {"title": "缺字段"}), 422, "invalid")
    assert Project.objects.count() == 0 and Resource.objects.get().remaining == 5
    resp = c.post("/projects", body)
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert out["status"] == "proposed" and out["resources"][0]["amount"] == 3.0
    assert Resource.objects.get().remaining == 2 and Need.objects.get(pk=n.pk).status == NeedStatus.IN_PROJECT
    # a liaison cannot propose; another community's admin cannot propose for community A1
    _shape(api(world.users["unit_liaison"]).post("/projects", body), 403, "forbidden")
    err = _shape(api(world.users["community_admin_b"]).post("/projects", {**body, "title": "越权"}), 400, "invalid")
    assert "community" in err["details"]


def test_status_actions_403_404_409(world, api):
    p = make_project(world)
    admin, liaison = api(world.users["community_admin"]), api(world.users["unit_liaison"])
    _shape(api(world.users["unit_liaison_b"]).post(f"/projects/{p.pk}/agree"), 404, "not_found")
    _shape(liaison.post(f"/projects/{p.pk}/start"), 409, "invalid_transition")
    assert liaison.post(f"/projects/{p.pk}/agree").json()["status"] == "agreed"
    _shape(liaison.post(f"/projects/{p.pk}/agree"), 409, "invalid_transition")
    assert liaison.post(f"/projects/{p.pk}/start").json()["status"] == "in_progress"
    _shape(liaison.post(f"/projects/{p.pk}/complete", {"outcome": " "}), 400, "invalid")
    _shape(liaison.post(f"/projects/{p.pk}/complete", {}), 422, "invalid")
    _shape(liaison.post(f"/projects/{p.pk}/cancel", {"reason": "不干了"}), 403, "forbidden")
    _shape(liaison.post(f"/projects/{p.pk}/rate", {"rating": 5}), 403, "forbidden")
    assert liaison.post(f"/projects/{p.pk}/complete", {"outcome": "扶手安装完毕"}).json()["status"] == "done"
    _shape(admin.post(f"/projects/{p.pk}/rate", {"rating": 6}), 400, "invalid")
    _shape(admin.post(f"/projects/{p.pk}/rate", {"rating": "five"}), 422, "invalid")
    _shape(admin.post(f"/projects/{p.pk}/cancel", {"reason": "晚了"}), 409, "invalid_transition")
    out = admin.post(f"/projects/{p.pk}/rate", {"rating": 5, "remark": "很好"}).json()
    assert (out["status"], out["rating"], out["rating_remark"]) == ("rated", 5, "很好")
    assert [h["action"] for h in out["history"]] == ["create", "agree", "start", "complete", "rate"]
    _shape(admin.post(f"/projects/{p.pk}/rate", {"rating": 4}), 409, "invalid_transition")


def test_cancel_through_the_api(world, api):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    c = api(world.users["community_admin"])
    _shape(c.post(f"/projects/{p.pk}/cancel", {"reason": ""}), 400, "invalid")
    _shape(api(world.users["community_admin_b"]).post(f"/projects/{p.pk}/cancel", {"reason": "x"}), 404, "not_found")
    out = c.post(f"/projects/{p.pk}/cancel", {"reason": "单位调整"}).json()
    assert out["status"] == "cancelled" and out["cancel_reason"] == "单位调整"
    assert Resource.objects.get().remaining == 10 and Need.objects.get().status == NeedStatus.PUBLISHED


def test_milestones_api(world, api):
    p = make_project(world, ProjectStatus.AGREED)
    c = api(world.users["unit_liaison"])
    _shape(c.post(f"/projects/{p.pk}/milestones", {"title": ""}), 400, "invalid")
    _shape(c.post(f"/projects/{p.pk}/milestones", {"title": "x", "due_on": "2031-02-30"}), 422, "invalid")
    _shape(c.post(f"/projects/{p.pk}/milestones", {"title": "x", "due_on": "1900-01-01"}), 400, "invalid")
    r = c.post(f"/projects/{p.pk}/milestones", {"title": "采购材料", "due_on": "2030-02-01"})
    assert r.status_code == 201 and r.json()["due_on"] == "2030-02-01"
    mid = r.json()["id"]
    assert c.patch(f"/projects/{p.pk}/milestones/{mid}", {"title": "采购扶手"}).json()["title"] == "采购扶手"
    assert c.post(f"/projects/{p.pk}/milestones/{mid}/done", {}).json()["done_on"] is not None
    _shape(c.post(f"/projects/{p.pk}/milestones/{mid}/done", {}), 409, "invalid_transition")
    assert c.post(f"/projects/{p.pk}/milestones/{mid}/reopen").json()["done_on"] is None
    _shape(c.post(f"/projects/{p.pk}/milestones/{mid}/done", {"done_on": "2999-01-01"}), 400, "invalid")
    assert [m["title"] for m in c.get(f"/projects/{p.pk}/milestones").json()] == ["采购扶手"]
    other = make_project(world, b=True)
    _shape(api(world.users["unit_liaison_b"]).patch(f"/projects/{p.pk}/milestones/{mid}", {"title": "越权"}), 404, "not_found")
    _shape(api(world.users["community_admin_b"]).delete(f"/projects/{other.pk}/milestones/{mid}"), 404, "not_found")
    _shape(c.delete(f"/projects/{p.pk}/milestones/-1"), 404, "not_found")
    _shape(api(world.users["resident"]).get(f"/projects/{p.pk}/milestones"), 404, "not_found")
    assert c.delete(f"/projects/{p.pk}/milestones/{mid}").status_code == 204
    assert not ProjectMilestone.objects.exists()


def test_notes_api_with_photos(world, api):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    c = api(world.users["unit_liaison"])
    r = c.multipart(f"/projects/{p.pk}/notes", {"text": "一半完成", "progress": "50", "photos": [upload("a.jpg"), upload("b.jpg")]})
    assert r.status_code == 201, r.content
    note = r.json()
    assert note["progress"] == 50 and len(note["photos"]) == 2 and note["photos"][0]["content_type"] == "image/jpeg"
    url = note["photos"][0]["url"]
    assert url.startswith(f"{BASE}/projects/{p.pk}/photos/")
    resp = c.get(url.removeprefix(BASE))
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    data = b"".join(resp.streaming_content)
    assert not Image.open(io.BytesIO(data)).getexif() and b"PhoneMaker" not in data
    _shape(api(world.users["unit_liaison_b"]).get(url.removeprefix(BASE)), 404, "not_found")
    _shape(api(world.users["resident"]).get(url.removeprefix(BASE)), 404, "not_found")
    assert [n["text"] for n in c.get(f"/projects/{p.pk}/notes").json()] == ["一半完成"]
    # a bad photo: 400, nothing written
    err = _shape(c.multipart(f"/projects/{p.pk}/notes", {"text": "第二次", "photos": [upload(), upload("x.png", b"<html>")]}),
                 400, "invalid")
    assert "photos" in err["details"]
    _shape(c.multipart(f"/projects/{p.pk}/notes", {"text": "进度", "progress": "-1"}), 400, "invalid")
    _shape(c.multipart(f"/projects/{p.pk}/notes", {"progress": "10"}), 422, "invalid")
    _shape(c.multipart(f"/projects/{p.pk}/notes", {"text": "a\x00b"}), 400, "invalid")
    assert ProjectNote.objects.count() == 1 and ProjectPhoto.objects.count() == 2
    # others
    _shape(api(world.users["unit_liaison_b"]).multipart(f"/projects/{p.pk}/notes", {"text": "越权"}), 404, "not_found")
    proposed = make_project(world, title="未同意")
    _shape(c.multipart(f"/projects/{proposed.pk}/notes", {"text": "太早"}), 409, "invalid_transition")


def test_huge_and_negative_ids_are_clear_errors_not_500(world, api):
    n = make_need(world)
    r = make_resource(world)
    c = api(world.users["community_admin"])
    big = 2**70
    for body in (
        {"title": "x", "community_id": big, "unit_id": world.unit_a.pk, "need_ids": [n.pk]},
        {"title": "x", "community_id": world.tree.comm_a1.pk, "unit_id": -1, "need_ids": [big, -3]},
        {"title": "x", "community_id": world.tree.comm_a1.pk, "unit_id": world.unit_a.pk, "need_ids": [n.pk],
         "resources": [{"resource_id": big, "amount": "1"}, {"resource_id": r.pk, "amount": "1e400"}]},
        {"title": "x", "community_id": world.tree.comm_a1.pk, "unit_id": world.unit_a.pk, "need_ids": [n.pk],
         "resources": [{"resource_id": r.pk, "amount": "NaN"}]},
    ):
        resp = c.post("/projects", body)
        assert resp.status_code in (400, 422), (body, resp.content)
        assert set(resp.json()) == {"code", "message", "details"}
    assert not Project.objects.exists()
    for path in (f"/projects/{big}", f"/projects/{big}/milestones", f"/projects/{big}/notes"):
        assert c.get(path).status_code in (404, 422)
    assert c.post(f"/projects/{big}/agree").status_code in (404, 422)


def test_plan_patch(world, api):
    p = make_project(world, ProjectStatus.AGREED)
    c = api(world.users["unit_liaison"])
    assert c.patch(f"/projects/{p.pk}", {"plan": "新方案"}).json()["plan"] == "新方案"
    _shape(c.patch(f"/projects/{p.pk}", {}), 422, "invalid")
    _shape(api(world.users["unit_liaison_b"]).patch(f"/projects/{p.pk}", {"plan": "x"}), 404, "not_found")
    done = make_project(world, ProjectStatus.DONE, title="已完成")
    _shape(c.patch(f"/projects/{done.pk}", {"plan": "x"}), 409, "invalid_transition")
