"""Road chiefs (路长制): pages (community and the road chief's phone pages), exports, photos and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from gongjian.accounts.models import ApiToken
from gongjian.core import registry
from gongjian.matters.models import Matter
from gongjian.volunteering.choices import PatrolReportStatus
from gongjian.volunteering.models import PatrolLog, PatrolReport, RoadChief, RoadSegment
from gongjian.volunteering.roads import services

from .domain import World, w_fixture  # noqa: F401
from .test_roads_services import jpeg, leaf_category, road_fixture, upload  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client: Any) -> Any:
    def _as(user: Any) -> Any:
        client.logout()
        client.force_login(user)
        return client

    return _as


@pytest.fixture
def api(client: Any) -> Any:
    def _for(user: Any) -> Any:
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path: str, **params: Any) -> Any:
                return client.get(f"/api/v1/volunteering/roads{path}", params, **headers)

            def post(self, path: str, body: Any = None) -> Any:
                return client.post(f"/api/v1/volunteering/roads{path}", body or {}, content_type="application/json", **headers)

            def put(self, path: str, body: Any) -> Any:
                return client.put(f"/api/v1/volunteering/roads{path}", body, content_type="application/json", **headers)

            def multipart(self, path: str, data: dict[str, Any]) -> Any:
                return client.post(f"/api/v1/volunteering/roads{path}", data, **headers)

        return C()

    return _for


# --- community pages --------------------------------------------------------------------------


def test_segment_pages(w: World, road: dict[str, Any], login: Any) -> None:
    c = login(w.u["comm_a1"])
    seg = road["seg"]
    services.patrol_log(actor=w.u["m1"], segment=seg, notes="巡查一次")
    html = c.get("/volunteering/roads/").content.decode()
    assert "淮河路" in html and "王芳" in html and 'id="segment-table"' in html
    html = c.get(f"/volunteering/roads/{seg.pk}/").content.decode()
    assert 'id="segment-map"' in html and "vendor/leaflet/leaflet.js" in html and 'id="map-offline"' in html and "巡查一次" in html
    assert c.get("/volunteering/roads/?q=不存在").content.decode().count("segment-table") == 0
    r = c.post("/volunteering/roads/new/", {"community": w.tree.comm_a1.pk, "name": "淮河路", "line": "34.7, 113.6"})
    assert r.status_code == 400 and "本社区已有同名路段" in r.content.decode()
    r = c.post("/volunteering/roads/new/", {"community": w.tree.comm_a1.pk, "name": "兴华街", "line": "34.7466, 113.6253\n34.7480, 113.6301"})
    assert r.status_code == 302
    s2 = RoadSegment.objects.get(name="兴华街")
    assert s2.length_m and s2.community_id == w.tree.comm_a1.pk
    r = c.post(f"/volunteering/roads/{s2.pk}/edit/", {"name": "兴华街北段", "line": "", "length_m": "300"})
    assert r.status_code == 302 and RoadSegment.objects.get(pk=s2.pk).length_m == 300
    html = c.get(f"/volunteering/roads/{s2.pk}/").content.decode()
    assert 'id="segment-map"' not in html


def test_chief_assignment_pages(w: World, road: dict[str, Any], login: Any) -> None:
    c = login(w.u["comm_a1"])
    seg = road["seg"]
    r = c.post(f"/volunteering/roads/{seg.pk}/chiefs/", {"member": w.m["m1"].pk})
    assert r.status_code == 400 and "已经是本路段的在任路长" in r.content.decode()
    r = c.post(f"/volunteering/roads/{seg.pk}/chiefs/", {"member": w.m["m2"].pk})
    assert r.status_code == 400 and RoadChief.objects.count() == 1
    r = c.post(f"/volunteering/roads/chiefs/{road['chief'].pk}/end/")
    assert r.status_code == 302 and not RoadChief.objects.get(pk=road["chief"].pk).is_active
    r = c.post(f"/volunteering/roads/{seg.pk}/chiefs/", {"member": w.m["m1"].pk})
    assert r.status_code == 302 and RoadChief.objects.filter(is_active=True).count() == 1
    r = c.post(f"/volunteering/roads/{seg.pk}/active/", {"active": "0"})
    assert r.status_code == 302 and not RoadSegment.objects.get(pk=seg.pk).is_active


def test_other_community_and_members_get_404(w: World, road: dict[str, Any], login: Any) -> None:
    seg = road["seg"]
    rep = services.report_create(actor=w.u["m1"], segment=seg, title="乱停车", photo=upload(jpeg()))
    log = services.patrol_log(actor=w.u["m1"], segment=seg, photo=upload(jpeg()))
    c = login(w.u["comm_b1"])
    for url in (f"/volunteering/roads/{seg.pk}/", f"/volunteering/roads/{seg.pk}/edit/", f"/volunteering/roads/reports/{rep.pk}/",
                f"/volunteering/roads/reports/{rep.pk}/photo/", f"/volunteering/roads/patrols/{log.pk}/photo/"):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/volunteering/roads/reports/{rep.pk}/to-matter/").status_code == 404
    assert c.post(f"/volunteering/roads/{seg.pk}/chiefs/", {"member": w.m["m1"].pk}).status_code == 404
    c = login(w.u["m2"])
    assert c.get("/volunteering/roads/").status_code == 404
    assert c.get(f"/volunteering/roads/reports/{rep.pk}/").status_code == 404
    assert c.get(f"/volunteering/roads/mine/{seg.pk}/patrol/").status_code == 404
    assert c.post(f"/volunteering/roads/mine/{seg.pk}/patrol/", {"notes": "x"}).status_code == 404
    assert PatrolLog.objects.count() == 1 and Matter.objects.count() == 0


def test_report_queue_actions_and_matter(w: World, road: dict[str, Any], login: Any) -> None:
    cat = leaf_category()
    rep = services.report_create(actor=w.u["m1"], segment=road["seg"], title="共享单车堵塞盲道", category=cat)
    c = login(w.u["comm_a1"])
    html = c.get("/volunteering/roads/reports/?status=open").content.decode()
    assert "共享单车堵塞盲道" in html and 'id="open-reports"' in html
    html = c.get(f"/volunteering/roads/reports/{rep.pk}/").content.decode()
    assert 'data-action="to-matter"' in html and 'data-action="reject"' in html
    assert c.post(f"/volunteering/roads/reports/{rep.pk}/reject/", {"reason": ""}).status_code == 302
    assert PatrolReport.objects.get(pk=rep.pk).status == PatrolReportStatus.REPORTED
    assert c.post(f"/volunteering/roads/reports/{rep.pk}/to-matter/").status_code == 302
    rep.refresh_from_db()
    assert rep.status == PatrolReportStatus.MATTER and rep.matter is not None
    html = c.get(f"/volunteering/roads/reports/{rep.pk}/").content.decode()
    assert rep.matter.number in html and f"/matters/{rep.matter.pk}/" in html and 'id="report-actions"' not in html
    # the chief sees the status and the matter's number and status, without a link to a page he cannot open
    c = login(w.u["m1"])
    html = c.get("/volunteering/roads/mine/").content.decode()
    assert rep.matter.number in html and 'data-status="matter"' in html
    html = c.get(f"/volunteering/roads/reports/{rep.pk}/").content.decode()
    assert rep.matter.number in html and f"/matters/{rep.matter.pk}/" not in html and 'id="report-actions"' not in html
    assert c.post(f"/volunteering/roads/reports/{rep.pk}/solve/", {"resolution": "x"}).status_code == 404


def test_exports_csv_and_xlsx(w: World, road: dict[str, Any], login: Any) -> None:
    services.patrol_log(actor=w.u["m1"], segment=road["seg"], notes="=cmd|' /C calc'!A0")
    services.report_create(actor=w.u["m1"], segment=road["seg"], title="路灯不亮")
    c = login(w.u["comm_a1"])
    r = c.get("/volunteering/roads/patrols/export/?format=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == "淮河路" and rows[1][3].startswith("'=")
    r = c.get("/volunteering/roads/reports/export/")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None and [c.value for c in ws[2]][3] == "路灯不亮"
    r = c.get("/volunteering/roads/export/?format=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][1] == "淮河路" and rows[1][6] == "王芳"
    assert login(w.u["comm_b1"]).get("/volunteering/roads/reports/export/?format=csv").content.decode("utf-8-sig").count("\n") == 1


def test_list_query_counts_do_not_grow(w: World, road: dict[str, Any], login: Any, django_assert_max_num_queries: Any,
                                       django_capture_on_commit_callbacks: Any) -> None:
    c = login(w.u["comm_a1"])
    urls = ["/volunteering/roads/", "/volunteering/roads/patrols/", "/volunteering/roads/reports/"]

    def counts() -> list[int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            # the bell recounts when the writes below notify the account (core.notify): the frame's, not the list's
            out.append(len([q for q in ctx.captured_queries if "core_notification" not in q["sql"]]))
        return out

    counts()  # warm: the account's scope rows and bell are kept from here on, as in every later request
    services.patrol_log(actor=w.u["m1"], segment=road["seg"])
    services.report_create(actor=w.u["m1"], segment=road["seg"], title="一")
    few = counts()
    with django_capture_on_commit_callbacks(execute=True):  # committed: the module's version moves, the lists count again
        for i in range(8):
            s = services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"路{i}")
            services.chief_assign(actor=w.u["comm_a1"], segment=s, member=w.m["m1"])
            services.patrol_log(actor=w.u["m1"], segment=s)
            r = services.report_create(actor=w.u["m1"], segment=s, title=f"问题{i}")
            services.report_to_matter(actor=w.u["comm_a1"], report=r)
    assert counts() == few
    c = login(w.u["m1"])
    with django_assert_max_num_queries(25):
        assert c.get("/volunteering/roads/mine/").status_code == 200


# --- the road chief's phone pages --------------------------------------------------------------


def test_member_logs_a_patrol_and_reports_from_the_phone_pages(w: World, road: dict[str, Any], login: Any) -> None:
    cat = leaf_category()
    c = login(w.u["m1"])
    html = c.get("/volunteering/roads/mine/").content.decode()
    assert "淮河路" in html and f"/volunteering/roads/mine/{road['seg'].pk}/patrol/" in html and 'id="report-in-first"' not in html
    url = f"/volunteering/roads/mine/{road['seg'].pk}/patrol/"
    assert 'id="locate"' in c.get(url).content.decode()
    r = c.post(url, {"notes": "假照片", "photo": upload(b"plain text", "fake.jpg")})
    assert r.status_code == 400 and PatrolLog.objects.count() == 0
    r = c.post(url, {"notes": "单车已整理", "photo": upload(jpeg(gps=True)), "lat": "34.747", "lng": "113.626"})
    assert r.status_code == 302 and PatrolLog.objects.count() == 1
    log = PatrolLog.objects.get()
    r = c.get(f"/volunteering/roads/patrols/{log.pk}/photo/")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and "sandbox" in r["Content-Security-Policy"]
    assert not Image.open(io.BytesIO(b"".join(r.streaming_content))).getexif()
    url = f"/volunteering/roads/mine/{road['seg'].pk}/report/"
    assert "共享单车乱停放" in c.get(url).content.decode()
    r = c.post(url, {"title": "", "category": cat.pk})
    assert r.status_code == 400 and PatrolReport.objects.count() == 0
    r = c.post(url, {"title": "盲道被占", "category": cat.pk, "photo": upload(jpeg())})
    assert r.status_code == 302 and PatrolReport.objects.get().category == cat


def test_member_without_report_in_is_told_to_report_in(w: World, login: Any) -> None:
    html = login(w.u["m2"]).get("/volunteering/roads/mine/").content.decode()
    assert 'id="report-in-first"' in html and 'id="no-segments"' in html


def test_registration_nav_and_panel(w: World, road: dict[str, Any]) -> None:
    from gongjian.volunteering.roads import panels

    services.report_create(actor=w.u["m1"], segment=road["seg"], title="问题")
    panel = panels.admin_panel(w.u["comm_a1"])
    assert panel is not None and panel["stats"][0]["value"] == 1
    assert panels.admin_panel(w.u["m1"]) is None
    mine = panels.chief_panel(w.u["m1"])
    assert mine is not None and mine["stats"][0]["value"] == 1
    keys = {e.key for _m, e in registry.nav_entries()}
    assert {"volunteering.my_patrols", "volunteering.roads"} <= keys


# --- API ----------------------------------------------------------------------------------------


def test_api_segments_and_chiefs(w: World, road: dict[str, Any], api: Any) -> None:
    a = api(w.u["comm_a1"])
    r = a.get("/segments")
    assert r.status_code == 200 and r.json()["items"][0]["chiefs"][0]["member_name"] == "王芳"
    r = a.post("/segments", {"community_id": w.tree.comm_a1.pk, "name": "兴华街", "line": [[34.7466, 113.6253], [34.75, 113.63]]})
    assert r.status_code == 201 and r.json()["length_m"] > 0
    sid = r.json()["id"]
    r = a.post("/segments", {"community_id": w.tree.comm_a1.pk, "name": "兴华街"})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "name" in r.json()["details"]
    r = a.post("/segments", {"community_id": w.tree.comm_a1.pk, "name": "坏线", "line": [[113.6, 34.7], [113.6, 34.8]]})
    assert r.status_code == 400 and "line" in r.json()["details"]
    assert a.put(f"/segments/{sid}", {"name": "兴华街北段"}).json()["name"] == "兴华街北段"
    r = a.post("/chiefs", {"segment_id": road["seg"].pk, "member_id": w.m["m1"].pk})
    assert r.status_code == 409 and r.json()["code"] == "duplicate"
    r = a.post("/chiefs", {"segment_id": sid, "member_id": w.m["m1"].pk})
    assert r.status_code == 201
    assert a.post(f"/chiefs/{r.json()['id']}/end", {}).json()["is_active"] is False
    assert a.post(f"/segments/{sid}/deactivate").json()["is_active"] is False
    b = api(w.u["comm_b1"])
    assert b.get(f"/segments/{sid}").status_code == 404 and b.get("/segments").json()["count"] == 0
    assert b.post("/chiefs", {"segment_id": road["seg"].pk, "member_id": w.m["m1"].pk}).status_code == 404
    assert api(w.u["m1"]).get("/segments").status_code == 404


def test_api_patrols_and_reports(w: World, road: dict[str, Any], api: Any, django_capture_on_commit_callbacks: Any) -> None:
    m = api(w.u["m1"])
    assert [s["name"] for s in m.get("/segments/mine").json()] == ["淮河路"]
    r = m.multipart("/patrols", {"segment_id": road["seg"].pk, "notes": "ok", "photo": upload(jpeg(gps=True))})
    assert r.status_code == 201 and r.json()["has_photo"]
    r = m.multipart("/patrols", {"segment_id": road["seg"].pk, "photo": upload(b"text", "x.jpg")})
    assert r.status_code == 400 and "photo" in r.json()["details"]
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert m.multipart("/patrols", {"segment_id": road["seg"].pk, "at": future}).status_code == 400
    other = api(w.u["m2"])
    assert other.multipart("/patrols", {"segment_id": road["seg"].pk, "notes": "x"}).status_code == 404
    assert PatrolLog.objects.count() == 1
    r = m.multipart("/reports", {"segment_id": road["seg"].pk, "title": "井盖缺失", "lat": "34.747", "lng": "113.626"})
    assert r.status_code == 201 and r.json()["status"] == "reported"
    rid = r.json()["id"]
    a = api(w.u["comm_a1"])
    assert a.get("/reports", status="open").json()["count"] == 1
    assert api(w.u["comm_b1"]).post(f"/reports/{rid}/to-matter").status_code == 404
    assert a.post(f"/reports/{rid}/handle").json()["status"] == "handling"
    r = a.post(f"/reports/{rid}/to-matter")
    assert r.status_code == 200 and r.json()["status"] == "matter" and r.json()["matter_number"].startswith("SX")
    r = a.post(f"/reports/{rid}/to-matter")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert Matter.objects.filter(source="road_chief", source_ref=f"patrol-report:{rid}").count() == 1
    mine = m.get(f"/reports/{rid}").json()
    assert mine["status"] == "matter" and mine["matter_status"] == "reported" and mine["matter_status_label"]
    assert m.post(f"/reports/{rid}/solve", {"resolution": "x"}).status_code in (403, 404)
    assert m.get("/patrols").json()["count"] == 1 and other.get("/patrols").json()["count"] == 0
