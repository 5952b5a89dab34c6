"""Pages and API of activities: the member's phone journey (list, sign up, QR check-in and out, hours), the community's
pages (activities, roster, QR screen, hours to confirm, posts, brands, leaderboard, exports), scope (404), query counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongjian.volunteering.activities import codes
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import CodeKind, HourStatus, SignupStatus
from gongjian.volunteering.models import HourRecord, Shift, Signup

from .domain import World, w_fixture  # noqa: F401
from .test_activities_world import activity, move_shift, new_member, ready

pytestmark = pytest.mark.django_db
BASE = "/volunteering/activities/"


def client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def test_member_journey_signup_qr_check_in_out_and_hours(w: World) -> None:
    ready(w)
    a, s = activity(w, capacity=1)
    m1 = client(w.u["m1"])
    page = m1.get(BASE)
    assert page.status_code == 200 and "四点钟课堂" in page.content.decode()
    assert m1.get(f"{BASE}{a.pk}/").status_code == 200
    r = m1.post(f"{BASE}shifts/{s.pk}/signup/")
    assert r.status_code == 302
    assert Signup.objects.get(member=w.m["m1"]).status == SignupStatus.CONFIRMED
    assert "四点钟课堂" in m1.get(f"{BASE}mine/").content.decode()
    # a second member gets the waiting list, a third prefers the clear "full" answer
    acc, _m = new_member(w, 1)
    client(acc).post(f"{BASE}shifts/{s.pk}/signup/")
    acc3, _m3 = new_member(w, 2)
    r = client(acc3).post(f"{BASE}shifts/{s.pk}/signup/", {"wait": "0"}, follow=True)
    assert "已满" in r.content.decode()
    assert Signup.objects.filter(shift=s, status=SignupStatus.WAITING).count() == 1
    move_shift(s, starts_in=dt.timedelta(minutes=-5))
    token = codes.make_token(s, CodeKind.CHECK_IN)
    page = m1.get(f"{BASE}c/{token}/")
    assert page.status_code == 200 and 'data-action="confirm-check"' in page.content.decode()
    done = m1.post(f"{BASE}c/{token}/")
    assert done.status_code == 200 and 'data-done="in"' in done.content.decode()
    again = m1.post(f"{BASE}c/{token}/")  # the same code twice
    assert again.status_code == 400 and "data-error" in again.content.decode()
    Signup.objects.filter(member=w.m["m1"]).update(checked_in_at=timezone.now() - dt.timedelta(hours=2))
    out = codes.make_token(s, CodeKind.CHECK_OUT)
    assert 'data-done="out"' in m1.post(f"{BASE}c/{out}/").content.decode()
    assert HourRecord.objects.get().status == HourStatus.PENDING
    hours = m1.get(f"{BASE}hours/mine/")
    assert hours.status_code == 200 and 'data-total="pending">2' in hours.content.decode()
    # the community confirms in bulk from its list
    admin = client(w.u["comm_a1"])
    assert admin.get(f"{BASE}hours/").status_code == 200
    admin.post(f"{BASE}hours/decide/", {"records": [HourRecord.objects.get().pk], "decision": "confirm"})
    assert HourRecord.objects.get().status == HourStatus.CONFIRMED
    assert 'data-total="points">20' in m1.get(f"{BASE}hours/mine/").content.decode()
    board = m1.get(f"{BASE}leaderboard/")
    assert board.status_code == 200 and "王芳" in board.content.decode()


def test_forged_code_page_says_so(w: World) -> None:
    ready(w)
    r = client(w.u["m1"]).post(f"{BASE}c/not-a-code/")
    assert r.status_code == 400 and "data-error" in r.content.decode()
    assert not Signup.objects.exists()


def test_member_without_report_in_is_sent_to_report_in(w: World) -> None:
    r = client(w.u["m1"]).get(BASE)
    assert r.status_code == 200 and "data-no-report-in" in r.content.decode() and "/volunteering/report-in/" in r.content.decode()


def test_community_pages_and_scope(w: World) -> None:
    ready(w)
    a, s = activity(w, capacity=3)
    svc.signup_create(actor=w.u["m1"], shift=s)
    admin = client(w.u["comm_a1"])
    for url in (BASE, f"{BASE}{a.pk}/", f"{BASE}shifts/{s.pk}/", f"{BASE}posts/", f"{BASE}brands/", f"{BASE}hours/", f"{BASE}new/",
                f"{BASE}{a.pk}/shifts/new/", f"{BASE}posts/new/", f"{BASE}brands/new/", f"{BASE}hours/credit/", f"{BASE}{a.pk}/edit/",
                f"{BASE}shifts/{s.pk}/edit/",
                f"{BASE}leaderboard/?community={w.tree.comm_a1.pk}"):
        assert admin.get(url).status_code == 200, url
    qr = admin.get(f"{BASE}shifts/{s.pk}/qr/")
    assert qr.status_code == 200 and "data:image/svg+xml;base64," in qr.content.decode() and 'http-equiv="refresh"' in qr.content.decode()
    assert "王芳" in admin.get(f"{BASE}shifts/{s.pk}/").content.decode()
    other = client(w.u["comm_b1"])
    for url in (f"{BASE}{a.pk}/", f"{BASE}shifts/{s.pk}/", f"{BASE}shifts/{s.pk}/qr/", f"{BASE}leaderboard/?community={w.tree.comm_a1.pk}"):
        assert other.get(url).status_code == 404, url
    assert client(w.u["m2"]).get(f"{BASE}{a.pk}/").status_code == 404  # another community's member
    assert client(w.u["m1"]).get(f"{BASE}shifts/{s.pk}/").status_code == 404
    assert client(w.u["m1"]).get(f"{BASE}hours/").status_code == 404
    # staff check-in by hand
    sign = Signup.objects.get()
    move_shift(s, starts_in=dt.timedelta(minutes=-5))
    admin.post(f"{BASE}signups/{sign.pk}/check/in/")
    assert Signup.objects.get().checked_by == w.u["comm_a1"]
    assert other.post(f"{BASE}signups/{sign.pk}/check/out/").status_code == 404


def test_create_activity_and_shift_through_the_pages(w: World) -> None:
    admin = client(w.u["comm_a1"])
    r = admin.post(f"{BASE}new/", {"community": w.tree.comm_a1.pk, "title": "垃圾分类宣传", "place": "小区门口"})
    assert r.status_code == 302
    a = w.tree.comm_a1.activities.get()
    bad = admin.post(f"{BASE}{a.pk}/shifts/new/", {"starts_at": "2030-05-01T10:00", "ends_at": "2030-05-01T09:00", "capacity": "0"})
    assert bad.status_code == 400 and 'data-error-for="ends_at"' in bad.content.decode()
    assert not Shift.objects.exists()
    ok = admin.post(f"{BASE}{a.pk}/shifts/new/", {"starts_at": "2030-05-01T09:00", "ends_at": "2030-05-01T11:00", "capacity": "10"})
    assert ok.status_code == 302 and Shift.objects.get().capacity == 10
    admin.post(f"{BASE}{a.pk}/do/publish/")
    a.refresh_from_db()
    assert a.status == "published"


def test_lists_cost_the_same_queries_for_more_rows(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    admin = client(w.u["comm_a1"])
    m1 = client(w.u["m1"])
    activity(w)

    def count(c: Client, url: str) -> int:
        c.get(url)  # warm: compare warm requests (the frame's scope rows and bell, the list's count are kept per version)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [(admin, BASE), (m1, BASE), (admin, f"{BASE}hours/?status=all"), (m1, f"{BASE}mine/?when=all"), (m1, f"{BASE}hours/mine/")]

    def more(i: int) -> None:
        _a, s = activity(w)
        svc.signup_create(actor=w.u["m1"], shift=s)
        svc.hours_credit(actor=w.u["comm_a1"], member=w.m["m1"], community=w.tree.comm_a1, kind="task", hours="1", date=timezone.localdate())
        _acc, m = new_member(w, 100 + i)
        HourRecord.objects.create(member=m, community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind="task", hours=1,
                                  date=timezone.localdate())

    more(0)
    before = [count(c, u) for c, u in urls]
    with django_capture_on_commit_callbacks(execute=True):  # the writes commit: the module's version moves, lists count again
        for i in range(1, 5):
            more(i)
    after = [count(c, u) for c, u in urls]
    assert before == after


def test_exports_are_files(w: World) -> None:
    ready(w)
    _a, s = activity(w)
    svc.signup_create(actor=w.u["m1"], shift=s)
    admin = client(w.u["comm_a1"])
    for url in (f"{BASE}export/?format=csv", f"{BASE}hours/export/?format=csv&status=all", f"{BASE}posts/export/?format=csv",
                f"{BASE}shifts/{s.pk}/export/?format=csv"):
        r = admin.get(url)
        assert r.status_code == 200 and "text/csv" in r["Content-Type"], url
    assert "王芳" in admin.get(f"{BASE}shifts/{s.pk}/export/?format=csv").content.decode("utf-8-sig")
    x = admin.get(f"{BASE}export/")
    assert x.status_code == 200 and "spreadsheet" in x["Content-Type"]
    assert client(w.u["m1"]).get(f"{BASE}export/").status_code == 404


def test_posts_pages_member_applies_community_decides(w: World) -> None:
    ready(w)
    p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="civility", name="文明劝导员", needed=1)
    m1 = client(w.u["m1"])
    assert "文明劝导员" in m1.get(f"{BASE}posts/mine/").content.decode()
    m1.post(f"{BASE}posts/{p.pk}/apply/", {"note": "周末有空"})
    h = p.holdings.get()
    admin = client(w.u["comm_a1"])
    assert "王芳" in admin.get(f"{BASE}posts/").content.decode()
    admin.post(f"{BASE}holdings/{h.pk}/approve/")
    h.refresh_from_db()
    assert h.status == "approved"
    assert 'data-status="approved"' in m1.get(f"{BASE}posts/mine/").content.decode()
    assert client(w.u["comm_b1"]).post(f"{BASE}holdings/{h.pk}/end/").status_code in (302, 404)
    h.refresh_from_db()
    assert h.status == "approved"


def test_brand_page_shows_reach(w: World) -> None:
    b = svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="老年日间照料")
    a = svc.activity_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, title="助餐", brand=b)
    start = timezone.now() - dt.timedelta(days=2)
    svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=2,
                     signup_cutoff=start - dt.timedelta(hours=1))
    svc.activity_publish(actor=w.u["comm_a1"], activity=a)
    svc.activity_finish(actor=w.u["comm_a1"], activity=a, people_served=42)
    r = client(w.u["comm_a1"]).get(f"{BASE}brands/{b.pk}/")
    assert r.status_code == 200 and 'data-people="42"' in r.content.decode()
    assert client(w.u["comm_b1"]).get(f"{BASE}brands/{b.pk}/").status_code == 404


def test_point_rule_page_city_only(w: World) -> None:
    assert client(w.u["comm_a1"]).get(f"{BASE}points/").status_code == 404
    city = client(w.u["city"])
    assert city.post(f"{BASE}points/", {"per_hour": "15", "per_task": "5", "per_pledge": "20"}).status_code == 302
    bad = city.post(f"{BASE}points/", {"per_hour": "-1", "per_task": "x", "per_pledge": ""})
    assert bad.status_code == 400
    from gongjian.volunteering.common import point_rule

    assert point_rule().per_hour == 15


# --- API -----------------------------------------------------------------------------------------


def api(c: Client, method: str, path: str, body: Any = None) -> Any:
    fn = getattr(c, method)
    r = fn(f"/api/v1/volunteering/activities{path}", data=json.dumps(body or {}), content_type="application/json") if method == "post" \
        else fn(f"/api/v1/volunteering/activities{path}")
    return r.status_code, r.json()


def test_api_signup_full_duplicate_codes_and_leaderboard(w: World) -> None:
    ready(w)
    a, s = activity(w, capacity=1)
    m1 = client(w.u["m1"])
    status, body = api(m1, "get", "/")
    assert status == 200 and body["items"][0]["id"] == a.pk
    status, body = api(m1, "get", f"/{a.pk}")
    assert status == 200 and body["shifts"][0]["free"] == 1
    status, body = api(m1, "post", f"/shifts/{s.pk}/signup", {"wait": True})
    assert status == 201 and body["status"] == "confirmed"
    assert api(m1, "post", f"/shifts/{s.pk}/signup", {})[1]["code"] == "duplicate"
    acc, _m = new_member(w, 1)
    status, body = api(client(acc), "post", f"/shifts/{s.pk}/signup", {"wait": False})
    assert status == 409 and body["code"] == "full"
    move_shift(s, starts_in=dt.timedelta(minutes=-1))
    status, body = api(m1, "post", "/check", {"token": "forged"})
    assert status == 400 and body["code"] == "bad_code"
    status, body = api(m1, "post", "/check", {"token": codes.make_token(s, "in"), "shift_id": s.pk})
    assert status == 200 and body["checked_in_at"]
    assert api(client(w.u["comm_b1"]), "get", f"/{a.pk}")[0] == 404
    status, body = api(client(w.u["comm_a1"]), "get", f"/leaderboard?community={w.tree.comm_a1.pk}")
    assert status == 200 and body == []
    assert api(client(w.u["comm_b1"]), "get", f"/leaderboard?community={w.tree.comm_a1.pk}")[0] == 404
    status, body = api(client(w.u["comm_a1"]), "get", f"/shifts/{s.pk}/code?kind=out")
    assert status == 200 and codes.read_token(body["token"]).kind == "out"
    assert api(m1, "post", "/hours/confirm", {"records": [1]})[0] == 403


def test_liaison_publishes_for_his_unit_through_the_page(w: World) -> None:
    from gongjian.volunteering.models import MemberReportIn

    MemberReportIn.objects.create(member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, unit=w.unit_a,
                                  status="confirmed", reported_at=timezone.now())
    liaison = client(w.u["liaison_a"])
    form = liaison.get(f"{BASE}new/")
    assert form.status_code == 200 and "淮河社区" in form.content.decode()
    r = liaison.post(f"{BASE}new/", {"community_pick": w.tree.comm_a1.pk, "unit": w.unit_a.pk, "title": "单位党员进社区"})
    assert r.status_code == 302
    a = w.tree.comm_a1.activities.get()
    assert a.unit_id == w.unit_a.pk
    assert liaison.get(f"{BASE}{a.pk}/").status_code == 200
    assert client(w.u["liaison_b"]).get(f"{BASE}{a.pk}/").status_code == 404


def test_finish_cancel_and_reject_through_the_pages(w: World) -> None:
    ready(w)
    a, _s = activity(w)
    admin = client(w.u["comm_a1"])
    bad = admin.post(f"{BASE}{a.pk}/do/cancel/", {"reason": ""}, follow=True)
    assert "请填写" in bad.content.decode() or "原因" in bad.content.decode()
    a.refresh_from_db()
    assert a.status == "published"
    admin.post(f"{BASE}{a.pk}/do/finish/", {"people_served": "25"})
    a.refresh_from_db()
    assert a.status == "finished" and a.people_served == 25
    r = HourRecord.objects.create(member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind="task", hours=2,
                                  date=timezone.localdate())
    admin.post(f"{BASE}hours/decide/", {"records": [r.pk], "decision": "reject", "reason": ""})
    r.refresh_from_db()
    assert r.status == HourStatus.PENDING
    admin.post(f"{BASE}hours/decide/", {"records": [r.pk], "decision": "reject", "reason": "未到岗"})
    r.refresh_from_db()
    assert r.status == HourStatus.REJECTED and r.note == "未到岗"


def test_post_and_brand_lists_cost_the_same_queries(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    admin = client(w.u["comm_a1"])

    def count(url: str) -> int:
        admin.get(url)  # warm: compare warm requests (the frame's scope rows and bell, the list's count are kept per version)
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(url).status_code == 200
        return len(ctx.captured_queries)

    def more(i: int) -> None:
        p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="grid", name=f"网格员{i}", needed=2)
        acc, _m = new_member(w, 300 + i)
        svc.holding_apply(actor=acc, post=p)
        svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"品牌{i}")

    more(0)
    before = [count(f"{BASE}posts/"), count(f"{BASE}brands/")]
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(1, 5):
            more(i)
    assert [count(f"{BASE}posts/"), count(f"{BASE}brands/")] == before


def test_api_posts_and_brands(w: World) -> None:
    ready(w)
    p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="lecturer", name="宣讲员", needed=1)
    m1 = client(w.u["m1"])
    status, body = api(m1, "get", "/posts")
    assert status == 200 and [x["name"] for x in body["items"]] == ["宣讲员"] and body["count"] == 1
    status, body = api(m1, "post", f"/posts/{p.pk}/apply", {"note": "党史宣讲"})
    assert status == 201 and body["status"] == "applied"
    holding = body["id"]
    assert api(client(w.u["m2"]), "post", f"/posts/{p.pk}/apply", {})[0] == 404
    assert api(client(w.u["comm_b1"]), "post", f"/holdings/{holding}/approve")[0] == 404
    assert api(client(w.u["comm_a1"]), "post", f"/holdings/{holding}/reject", {"reason": ""})[0] == 400
    status, body = api(client(w.u["comm_a1"]), "post", f"/holdings/{holding}/approve")
    assert status == 200 and body["status"] == "approved"
    assert api(m1, "get", "/posts/mine")[1][0]["status"] == "approved"
    b = svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="五送服务")
    status, body = api(m1, "get", f"/brands/{b.pk}")
    assert status == 200 and body["name"] == "五送服务" and body["reach"] == []
    assert api(client(w.u["m2"]), "get", f"/brands/{b.pk}")[0] == 404


@pytest.mark.parametrize("path", ["new/", "posts/new/", "brands/new/", "hours/credit/", "leaderboard/"])
def test_an_administrator_of_several_communities_chooses_one_first(w: World, path: str) -> None:
    """The subdistrict's administrator manages 淮河社区 and 路砦社区: the page asks which, each choice leading back to it;
    a community administrator goes straight to the page of his own."""
    title = "<title>选择社区"
    c = Client()
    c.force_login(w.u["sub_a"])
    r = c.get(BASE + path)
    html = r.content.decode()
    assert r.status_code == 200 and title in html
    for comm in (w.tree.comm_a1, w.tree.comm_a2):
        assert f"{BASE}{path}?community={comm.pk}" in html
    assert f"?community={w.tree.comm_b1.pk}" not in html
    own = Client()
    own.force_login(w.u["comm_a1"])
    r = own.get(BASE + path)
    assert r.status_code == 200 and title not in r.content.decode()
